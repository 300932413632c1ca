#!/usr/bin/env python
"""Django's command-line utility for the Adaptive Trading System backend."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    """Put the repository root on ``sys.path`` and run a management command."""
    repository_root = str(Path(__file__).resolve().parent.parent)
    if repository_root not in sys.path:
        sys.path.insert(0, repository_root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
