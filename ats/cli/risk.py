"""``ats risk``: Run and evaluate the risk engine."""

from __future__ import annotations

import click


@click.group()
def risk() -> None:
    """Run and evaluate the risk engine."""
