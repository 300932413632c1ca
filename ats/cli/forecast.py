"""``ats forecast``: Run and evaluate the forecast engine."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
import pandas as pd

from alpha_models.walk_forward import WalkForwardConfig
from ats.cli.options import (
    bus_options,
    gate_config,
    gate_options,
    json_option,
    lean_series_options,
    model_option,
    open_bus,
    registry_option,
    retrain_option,
    seed_option,
    training_cli_options,
)
from risk_models.parameters import StrategyParameters, validate
from signal_bus.horizon import Horizon

FORECAST_RESOLUTIONS = ("daily", "hour")


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
@click.option(
    "--source",
    type=click.Choice(["lean", "bundled"]),
    default="lean",
    show_default=True,
    help="Bars from a LEAN data folder, or the bundled daily US stocks (2000-2013).",
)
@lean_series_options(
    resolutions=FORECAST_RESOLUTIONS,
    data_folder={"help": "LEAN data folder (required with --source lean)."},
    symbols={"default": "", "help": "Comma-separated tickers (bundled: all when empty)."},
)
@click.option("--horizon", type=click.Choice(["1h", "4h", "1d"]), default="1d", show_default=True)
@click.option(
    "--start", required=True, help="Score forecasts made on or after this date (YYYY-MM-DD)."
)
@click.option("--end", default=None, help="Score forecasts made up to this date (YYYY-MM-DD).")
@model_option()
@click.option(
    "--entry-confidence",
    type=float,
    default=StrategyParameters().entry_confidence,
    show_default=True,
    help="Sizing rule: trade when confidence is above this (0.5 to 1).",
)
@retrain_option()
@seed_option()
@registry_option(help="Save every model version (model files + metadata JSON) in this folder.")
@click.option(
    "--forecasts-out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write symbol,time,horizon,prediction,confidence,model_version,status,tradable as CSV.",
)
@gate_options
@training_cli_options()
@json_option("Print one JSON object (settings, pooled, per_symbol, gates).")
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
    min_ic_t: float,
    max_ece: float,
    min_deflated_sharpe: float,
    trials: int,
    cost_bps: float,
    min_dates: int,
    min_shadow_dates: int,
    as_json: bool,
    training: dict[str, Any],
) -> None:
    """Walk forward without look-ahead, gate every model version and score the forecasts.

    Every version gets the status the automatic promotion rule gives it with what was
    known when its period started (candidate, shadow or live); only live versions'
    forecasts trade. The strategy figures are shown gated and trading every forecast.
    """
    from rich.console import Console
    from rich.progress import Progress

    from engines.forecast.report import render, report_json
    from engines.forecast.research import run_evaluation, write_forecasts
    from engines.forecast.sources import BarRequest, BarSourceError, parse_symbols

    start_time = _timestamp(start, "--start")
    end_time = _timestamp(end, "--end")
    assert start_time is not None
    if end_time is not None:
        end_time = end_time + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
        if end_time < start_time:
            raise click.BadParameter("--end is before --start", param_hint="--end")
    try:
        entry_confidence = float(validate("entry_confidence", entry_confidence))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--entry-confidence") from None
    gates = gate_config(
        {
            "min_ic_t": min_ic_t,
            "max_ece": max_ece,
            "min_deflated_sharpe": min_deflated_sharpe,
            "trials": trials,
            "cost_bps": cost_bps,
            "min_dates": min_dates,
            "min_shadow_dates": min_shadow_dates,
        },
        entry_confidence=entry_confidence,
    )
    try:
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
            **training,
        )
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("walk-forward periods", total=None)
            run = run_evaluation(
                request,
                config,
                start=start_time,
                end=end_time,
                entry_confidence=entry_confidence,
                registry_folder=registry,
                on_period=lambda done, total: progress.update(task, completed=done, total=total),
                gates=gates,
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


@forecast.command()
@click.option(
    "--once", is_flag=True, help="Run one cycle and exit (default: repeat every --interval)."
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    default=3600.0,
    show_default=True,
    envvar="ATS_FORECAST_INTERVAL",
    help="Seconds between cycles.",
)
@click.option(
    "--source",
    type=click.Choice(["lean", "bundled", "binance", "polygon", "database"]),
    default="lean",
    show_default=True,
    envvar="ATS_FORECAST_SOURCE",
    help="Bars from a LEAN data folder, the bundled data, Binance klines (crypto), Polygon "
    "aggregates (US equity) or the backend's bar table (filled by scheduled ingestion).",
)
@click.option(
    "--history-days",
    type=click.IntRange(min=1),
    default=730,
    show_default=True,
    envvar="ATS_FORECAST_HISTORY_DAYS",
    help="Days of bars fetched from a provider source or read from the database.",
)
@click.option(
    "--freshness",
    type=click.Choice(["auto", "on", "off"]),
    default="auto",
    show_default=True,
    envvar="ATS_FORECAST_FRESHNESS",
    help="Skip assets whose latest complete bar is stale (auto: on for the database, "
    "polygon and binance sources, off for LEAN folders and the bundled data).",
)
@click.option(
    "--stale-tolerance-seconds",
    type=click.FloatRange(min=0.0),
    default=None,
    envvar="ATS_FORECAST_STALE_TOLERANCE_SECONDS",
    help="How long after the next expected bar has closed the latest bar still counts as "
    "fresh (default 1800).",
)
@lean_series_options(
    resolutions=FORECAST_RESOLUTIONS,
    data_folder={
        "default": None,
        "envvar": "ATS_DATA_FOLDER",
        "help": "LEAN data folder (env ATS_DATA_FOLDER).",
    },
    security_type={"envvar": "ATS_FORECAST_SECURITY_TYPE"},
    market={"envvar": "ATS_FORECAST_MARKET"},
    symbols={
        "default": "",
        "envvar": "ATS_FORECAST_SYMBOLS",
        "help": "Comma-separated tickers (env ATS_FORECAST_SYMBOLS).",
    },
    resolution={"envvar": "ATS_FORECAST_RESOLUTION"},
)
@click.option(
    "--horizons",
    default="1d",
    show_default=True,
    envvar="ATS_FORECAST_HORIZONS",
    help="Comma-separated horizons: 1h, 4h, 1d.",
)
@model_option(envvar="ATS_FORECAST_MODEL")
@retrain_option(envvar="ATS_FORECAST_RETRAIN")
@seed_option(envvar="ATS_FORECAST_SEED")
@registry_option(default=Path("artifacts/models"), show_default=True, envvar="ATS_MODEL_REGISTRY")
@training_cli_options(environment=True)
@bus_options
@click.option("--dry-run", is_flag=True, help="Compute and print the forecasts without publishing.")
def run(
    once: bool,
    interval: float,
    source: str,
    history_days: int,
    freshness: str,
    stale_tolerance_seconds: float | None,
    data_folder: Path | None,
    security_type: str,
    market: str,
    symbols: str,
    resolution: str,
    horizons: str,
    model: str,
    retrain: str,
    seed: int,
    registry: Path,
    redis_url: str | None,
    namespace: str,
    dry_run: bool,
    training: dict[str, Any],
) -> None:
    """Forecast the latest bar of every asset and horizon and publish forecast_updates."""
    import time

    from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
    from engines.forecast.freshness import FreshnessRule
    from engines.forecast.sources import BarLoader, BarRequest, BarSourceError, parse_symbols
    from signal_bus import TransportConnectionError

    try:
        config = ForecastEngineConfig(
            bars=BarRequest(
                source=source,
                data_folder=data_folder,
                security_type=security_type,
                market=market,
                resolution=resolution,
                symbols=parse_symbols(symbols),
                history_days=history_days,
            ),
            registry_folder=registry,
            horizons=parse_symbols(horizons),
            model=model,
            seed=seed,
            retrain_frequency=retrain,
            training=training,
            freshness=FreshnessRule.for_source(
                source, mode=freshness, tolerance_seconds=stale_tolerance_seconds
            ),
        )
        bus = None
        if not dry_run:
            bus = open_bus(redis_url, namespace)
    except (BarSourceError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    bar_loader: BarLoader | None = None
    if source == "database":
        # The bar table belongs to the backend: set Django up as the other backend commands do.
        from backend import embedded

        embedded.django_setup()
        from backend.engines.services import forecast_bar_loader

        bar_loader = forecast_bar_loader()
    engine = ForecastEngine(config, bus, bar_loader=bar_loader)
    try:
        while True:
            try:
                result = engine.run_cycle(dt.datetime.now(dt.UTC))
            except (BarSourceError, TransportConnectionError, ValueError) as error:
                reason = (
                    f"cannot publish to Redis: {error}"
                    if isinstance(error, TransportConnectionError)
                    else str(error)
                )
                if once:
                    raise click.ClickException(reason) from error
                click.echo(f"error: cycle failed, retrying in {interval:.0f}s: {reason}", err=True)
                time.sleep(interval)
                continue
            for update in result.forecasts:
                click.echo(
                    f"{update.asset} {update.horizon} prediction={update.prediction:+.6f} "
                    f"confidence={update.confidence:.3f} made={update.ts_event.isoformat()} "
                    f"model_version={update.model_version}"
                )
            for item in result.stale:
                detail = (
                    "no complete bar"
                    if item.last_bar_end is None
                    else f"latest bar ended {item.last_bar_end.isoformat()}, "
                    f"stale since {item.limit.isoformat() if item.limit else '?'}"
                )
                click.echo(f"warning: no forecast for {item.asset}: {detail}", err=True)
            if result.missing:
                click.echo(
                    f"warning: no forecast for {', '.join(result.missing)}: too little history to train",
                    err=True,
                )
            action = "published" if result.published else "computed (dry run)"
            click.echo(
                f"{len(result.forecasts)} forecasts {action}; {result.versions_trained} model versions trained"
            )
            if once:
                break
            time.sleep(interval)
    finally:
        if bus is not None:
            bus.close()
