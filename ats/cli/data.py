"""``ats data``: Import market data into a LEAN data folder."""

from __future__ import annotations

import click


@click.group()
def data() -> None:
    """Import market data into a LEAN data folder."""
