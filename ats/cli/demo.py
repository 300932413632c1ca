"""``ats demo``: the main job on embedded defaults, end to end."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ats.cli.options import data_folder_option, json_option, model_option

if TYPE_CHECKING:
    from engines.forecast.research import EvaluationRun
    from signal_bus.messages import Message


@click.command()
@click.option(
    "--quick",
    is_flag=True,
    help="Short version (two symbols, from 2010): print the summary and exit without servers.",
)
@data_folder_option(
    default=Path("data"),
    show_default=True,
    help="LEAN data folder the bundled bars are written into.",
)
@click.option(
    "--output-folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the forecasts file, model versions and the report go.",
)
@model_option()
@click.option(
    "--store/--no-store",
    default=True,
    show_default=True,
    help="Record forecasts, risk decisions and portfolio snapshots in the database.",
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Start the backend and the dashboard on localhost afterwards (never with --quick).",
)
@click.option(
    "--hourly/--no-hourly",
    default=True,
    show_default=True,
    help="Also forecast 1h and 4h on a generated (synthetic, not market) hourly series, "
    "for the dashboard; never with --quick.",
)
@click.option("--api-port", type=int, default=8000, show_default=True)
@click.option("--dashboard-port", type=int, default=8501, show_default=True)
@json_option("Print the summary as one JSON object.")
def demo(
    quick: bool,
    data_folder: Path,
    output_folder: Path,
    model: str,
    store: bool,
    serve: bool,
    hourly: bool,
    api_port: int,
    dashboard_port: int,
    as_json: bool,
) -> None:
    """Run the whole pipeline on the bundled data: import, forecast, risk, record, report, serve.

    Bars are converted into LEAN format, the forecast engine walks forward over them
    without look-ahead (1d; and 1h and 4h on a generated hourly series, labelled
    synthetic, which is stored but not traded), the risk engine and the sizing rule
    trade its daily forecasts, every
    forecast, risk decision and portfolio snapshot is published on the signal bus
    (in memory, or Redis when REDIS_URL is set) and stored by the stream recorder
    (SQLite, or PostgreSQL when DATABASE_URL / DB_HOST is set). A summary table and a
    PNG/HTML report follow; then the backend and the dashboard start on localhost.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ats.demo import pipeline
    from ats.demo.config import DemoConfig
    from ats.demo.hourly import HOURLY_HORIZONS
    from ats.demo.report import (
        forecast_rows,
        hourly_table,
        summarize,
        write_figure,
        write_html,
    )

    console = Console(stderr=as_json)
    config = DemoConfig(
        data_folder=data_folder, output_folder=output_folder, model=model, hourly=hourly
    )
    if quick:
        config = config.quick()
    output_folder.mkdir(parents=True, exist_ok=True)
    _use_own_database(output_folder / "demo.sqlite3")
    started = time.monotonic()

    columns = (
        TextColumn("{task.description:<34}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    steps = 5 if config.hourly else 4
    with Progress(*columns, console=console, transient=False) as progress:
        try:
            imports = progress.add_task(
                f"1/{steps} bundled bars → LEAN data", total=len(config.symbols) or 4
            )
            outcomes = pipeline.import_bundled(config, tick=lambda _rows: progress.advance(imports))
            symbols = pipeline.imported_symbols(outcomes)
            progress.update(imports, total=len(outcomes), completed=len(outcomes))

            walk = progress.add_task(f"2/{steps} forecast engine walk-forward", total=1)
            run = pipeline.forecast_walk_forward(config, symbols)
            progress.advance(walk)

            series = None
            hourly_runs: dict[str, EvaluationRun] = {}
            if config.hourly:
                hourly_task = progress.add_task(
                    f"3/5 generated hourly: {', '.join(HOURLY_HORIZONS)}",
                    total=len(HOURLY_HORIZONS),
                )
                series = pipeline.generate_hourly(config, symbols)
                for horizon in HOURLY_HORIZONS:
                    hourly_runs[horizon] = pipeline.hourly_walk_forward(config, series, horizon)
                    progress.advance(hourly_task)

            risk = progress.add_task(f"{steps - 1}/{steps} risk engine + sizing rule", total=1)
            runs = pipeline.risk_replay(config, symbols)
            progress.advance(risk)

            recorded = None
            if store:
                messages = pipeline.all_messages(run, runs, config.run_key, hourly_runs)
                record = progress.add_task(f"{steps}/{steps} publish + record", total=len(messages))
                recorded = _record(messages, tick=lambda n: progress.advance(record, n))
                recorded["bars"] = _store_bars(config.data_folder, symbols)
                recorded["model_versions"] = _store_lifecycle(run, config.model)
                if series is not None:
                    recorded["hourly_bars"] = _store_bars(
                        config.data_folder, series.symbols, resolution=pipeline.HOURLY_RESOLUTION
                    )
                    for horizon, hourly_run in hourly_runs.items():
                        recorded[f"model_versions_{horizon}"] = _store_lifecycle(
                            hourly_run, config.model, horizon=horizon
                        )
        except (pipeline.DemoError, ValueError, OSError, TimeoutError) as error:
            raise click.ClickException(str(error)) from error

    summary = summarize(run, runs)
    figure = write_figure(run, runs, output_folder / "demo_report.png")
    settings = {
        "symbols": ", ".join(symbols),
        "model": config.model,
        "retrain": config.retrain_frequency,
        "scored from": config.score_start.isoformat(),
        "entry confidence": run.report.settings.get("entry_confidence"),
        "hourly series": (
            f"{', '.join(series.symbols)}: generated (synthetic), {series.first:%Y-%m-%d} to "
            f"{series.last:%Y-%m-%d}, {', '.join(hourly_runs)} scored from "
            f"{series.score_start:%Y-%m-%d}"
            if series is not None
            else "not generated"
        ),
        "generated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    generated = hourly_table(series, hourly_runs) if series is not None else None
    page = write_html(
        summary,
        figure,
        output_folder / "demo_report.html",
        settings=settings,
        hourly=generated,
    )

    if as_json:
        document = {**summary.to_dict(), "settings": settings}
        if hourly_runs:
            document["hourly"] = {
                horizon: {"forecast": hourly_run.report.pooled, "gates": hourly_run.report.gates}
                for horizon, hourly_run in hourly_runs.items()
            }
        if recorded is not None:
            document["recorded"] = recorded
        click.echo(json.dumps(document, default=str, indent=2))
    else:
        quality = Table(title="Forecast quality (out of sample)")
        quality.add_column("metric")
        quality.add_column("value", justify="right")
        for metric_row in forecast_rows(summary):
            quality.add_row(*metric_row)
        trading = Table(title=f"Trading {', '.join(symbols)} from {config.score_start}")
        for name in ("metric", "sizing rule", "sizing rule + risk engine", "buy-and-hold"):
            trading.add_column(name, justify="left" if name == "metric" else "right")
        for row in summary.rows():
            trading.add_row(*row)
        console.print(quality)
        if generated is not None:
            table = Table(title=generated.title)
            for index, name in enumerate(generated.header):
                table.add_column(name, justify="left" if index == 0 else "right")
            for metric_row in generated.rows:
                table.add_row(*metric_row)
            console.print(table)
        console.print(trading)
        console.print(
            f"Risk engine: {summary.managed_breaker_trips} breaker trips; time in state "
            + ", ".join(f"{k} {100 * v:.1f} %" for k, v in summary.managed_time_in_state.items())
        )
        if recorded is not None:
            console.print(f"Recorded in {recorded['database']}: {recorded['processed']}")
        console.print(f"Report: {page} and {figure}  ({time.monotonic() - started:.0f} s)")

    if quick or not serve:
        return
    _serve(
        api_port=api_port, dashboard_port=dashboard_port, log_folder=output_folder, console=console
    )


def _use_own_database(path: Path) -> None:
    """Without a configured database, start each run on a fresh SQLite file of its own.

    Then the backend and the dashboard started afterwards show exactly this run. A
    configured database (DATABASE_URL, DB_HOST or DB_SQLITE_PATH) is used as it is.
    """
    if any(os.environ.get(name) for name in ("DATABASE_URL", "DB_HOST", "DB_SQLITE_PATH")):
        return
    path.unlink(missing_ok=True)
    os.environ["DB_SQLITE_PATH"] = str(path.resolve())


def _record(messages: Sequence[Message], *, tick: Callable[[int], None]) -> dict[str, object]:
    from backend import embedded
    from signal_bus import InMemoryBus, RedisBus

    os.environ.setdefault("LOG_LEVEL", "WARNING")
    embedded.django_setup()
    embedded.database_migrate()
    capacity = len(messages) + 1_000
    bus = (
        RedisBus(stream_max_length=capacity)
        if os.environ.get("REDIS_URL")
        else InMemoryBus(stream_max_length=capacity)
    )
    with bus:
        result = embedded.messages_record(messages, bus=bus, tick=tick)
    return {
        "database": embedded.database_label(),
        "bus": type(bus).__name__,
        "processed": result.processed,
        "dead_lettered": result.dead_lettered,
        "retried_batches": result.handler_failures,
    }


def _store_lifecycle(
    run: EvaluationRun, model: str, *, horizon: str | None = None
) -> dict[str, int]:
    """Record every model version's lifecycle decision in the backend's model registry."""
    from ats.demo.pipeline import HORIZON, MARKET, SECURITY_TYPE
    from backend import embedded
    from market_data.lean import DATA_TIME_ZONES

    return embedded.model_decisions_apply(
        model=model,
        asset_group=f"{SECURITY_TYPE}-{MARKET}",
        horizon=horizon or HORIZON,
        decisions=run.decisions,
        time_zone=DATA_TIME_ZONES[SECURITY_TYPE],
    )


def _store_bars(data_folder: Path, symbols: Sequence[str], *, resolution: str | None = None) -> int:
    """Store the LEAN bars the demo wrote, so the dashboard draws candles under the forecasts."""
    from ats.demo.pipeline import MARKET, RESOLUTION, SECURITY_TYPE
    from backend import embedded

    return embedded.bars_import(
        data_folder=str(data_folder),
        security_type=SECURITY_TYPE,
        market=MARKET,
        resolution=resolution or RESOLUTION,
        symbols=symbols,
    )


def _serve(*, api_port: int, dashboard_port: int, log_folder: Path, console: object) -> None:
    from rich.console import Console

    from ats.demo.serve import services
    from backend import embedded

    assert isinstance(console, Console)
    username = os.environ.get("ATS_DEMO_USER", "demo")
    password = os.environ.get("ATS_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    embedded.django_setup()
    embedded.demo_user_ensure(username=username, password=password)
    with services(
        api_port=api_port, dashboard_port=dashboard_port, log_folder=log_folder
    ) as running:
        for service in running:
            console.print(f"{service.name:<10} {service.url}")
        console.print(f"login      {username} / {password}  (operator)")
        console.print("Press Ctrl-C to stop.")
        try:
            while all(service.process.poll() is None for service in running):
                time.sleep(1.0)
        except KeyboardInterrupt:
            console.print("stopping")
