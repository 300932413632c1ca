#!/usr/bin/env python
"""Django's command-line utility for the Adaptive Trading System backend."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main() -> None:
    """Put the repository root first on ``sys.path`` and run a management command.

    Python puts this script's folder (``backend/``) on the path; it is no package root, and
    its apps (``engines``, ``recorder``, ...) would shadow top-level packages of the same
    name (the ``engines`` package), so it is taken off.
    """
    here = Path(__file__).resolve().parent
    repository_root = str(here.parent)
    sys.path[:] = [p for p in sys.path if not p or Path(p).resolve() != here]
    if repository_root in sys.path:
        sys.path.remove(repository_root)
    sys.path.insert(0, repository_root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
