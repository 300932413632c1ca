"""``ats forecast``: Run and evaluate the forecast engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
import pandas as pd

from alpha_models.horizon import Horizon
from alpha_models.models import MODEL_KINDS
from alpha_models.schedule import RETRAIN_FREQUENCIES
from alpha_models.sizing import DEFAULT_ENTRY_CONFIDENCE, check_entry_confidence
from alpha_models.walk_forward import WalkForwardConfig


@click.group()
def forecast() -> None:
    """Run and evaluate the forecast engine."""


def _timestamp(value: str | None, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(dt.date.fromisoformat(value))
    except ValueError as error:
        raise click.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=name) from error


@forecast.command()
@click.option("--source", type=click.Choice(["lean", "bundled"]), default="lean", show_default=True,
              help="Bars from a LEAN data folder, or the bundled daily US stocks (2000-2013).")
@click.option("--data-folder", type=click.Path(file_okay=False, path_type=Path),
              help="LEAN data folder (required with --source lean).")
@click.option("--security-type", type=click.Choice(["equity", "crypto"]), default="equity", show_default=True)
@click.option("--market", default="usa", show_default=True, help="LEAN market, e.g. usa or binance.")
@click.option("--symbols", default="", help="Comma-separated tickers (bundled: all when empty).")
@click.option("--resolution", type=click.Choice(["daily", "hour"]), default="daily", show_default=True)
@click.option("--horizon", type=click.Choice(["1h", "4h", "1d"]), default="1d", show_default=True)
@click.option("--start", required=True, help="Score forecasts made on or after this date (YYYY-MM-DD).")
@click.option("--end", default=None, help="Score forecasts made up to this date (YYYY-MM-DD).")
@click.option("--model", type=click.Choice(list(MODEL_KINDS)), default="lightgbm", show_default=True)
@click.option("--entry-confidence", type=float, default=DEFAULT_ENTRY_CONFIDENCE, show_default=True,
              help="Sizing rule: trade when confidence is at least this.")
@click.option("--retrain", type=click.Choice(list(RETRAIN_FREQUENCIES)), default="monthly", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--registry", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Save every model version (model files + metadata JSON) in this folder.")
@click.option("--forecasts-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write symbol,time,horizon,prediction,confidence,model_version as CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (pooled, per_symbol).")
def evaluate(
    source: str,
    data_folder: Path | None,
    security_type: str,
    market: str,
    symbols: str,
    resolution: str,
    horizon: str,
    start: str,
    end: str | None,
    model: str,
    entry_confidence: float,
    retrain: str,
    seed: int,
    registry: Path | None,
    forecasts_out: Path | None,
    as_json: bool,
) -> None:
    """Walk forward without look-ahead and score the out-of-sample forecasts."""
    from rich.console import Console

    from ats.forecast.report import render, report_json
    from ats.forecast.research import run_evaluation, write_forecasts
    from ats.forecast.sources import BarRequest, BarSourceError, parse_symbols

    start_time = _timestamp(start, "--start")
    end_time = _timestamp(end, "--end")
    assert start_time is not None
    if end_time is not None:
        end_time = end_time + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        if end_time < start_time:
            raise click.BadParameter("--end is before --start", param_hint="--end")
    try:
        check_entry_confidence(entry_confidence)
        request = BarRequest(
            source=source,
            data_folder=data_folder,
            security_type=security_type,
            market=market,
            resolution=resolution,
            symbols=parse_symbols(symbols),
            end=end_time,
        )
        config = WalkForwardConfig(
            horizon=Horizon(horizon),
            resolution=resolution,
            hours_per_day=request.hours_per_day,
            model=model,
            seed=seed,
            retrain_frequency=retrain,
        )
        run = run_evaluation(
            request,
            config,
            start=start_time,
            end=end_time,
            entry_confidence=entry_confidence,
            registry_folder=registry,
        )
    except (BarSourceError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    if run.report.pooled["n"] == 0:
        raise click.ClickException(
            f"no scored forecasts made on or after {start}: too little history before it, or no data after it"
        )
    if forecasts_out is not None:
        write_forecasts(run.forecasts, forecasts_out)
    if as_json:
        click.echo(report_json(run.report))
    else:
        console = Console()
        if not console.is_terminal:
            console = Console(width=160)
        render(run.report, console)
        if forecasts_out is not None:
            click.echo(f"wrote {len(run.forecasts)} forecasts to {forecasts_out}")
