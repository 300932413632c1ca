"""``ats forecast``: Run and evaluate the forecast engine."""

from __future__ import annotations

import click


@click.group()
def forecast() -> None:
    """Run and evaluate the forecast engine."""
