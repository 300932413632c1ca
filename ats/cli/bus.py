"""``ats bus``: Inspect and exercise the Redis signal bus."""

from __future__ import annotations

import click


@click.group()
def bus() -> None:
    """Inspect and exercise the Redis signal bus."""
