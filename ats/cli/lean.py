"""``ats lean``: Export forecasts for LEAN backtests and bridge to QuantConnect cloud."""

from __future__ import annotations

import click


@click.group()
def lean() -> None:
    """Export forecasts for LEAN backtests and bridge to QuantConnect cloud."""
