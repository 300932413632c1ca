"""``ats data``: Import market data into a LEAN data folder; backfill a feed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ats.cli.options import (
    data_folder_option,
    market_option,
    resolution_option,
    security_type_option,
    symbols_option,
)
from market_data.importing import (
    IMPORT_ERRORS,
    SOURCES,
    ImportConfig,
    ImportRequestError,
    ImportTask,
    import_bars,
    plan_import,
)
from market_data.lean import available, read_bars


def _symbols(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _day(value: datetime | None) -> date | None:
    return None if value is None else value.date()


def _console() -> Console:
    console = Console()
    # piped output is 80 columns by default: too narrow for the tables
    return console if console.is_terminal else Console(width=160)


def _short(moment: datetime) -> str:
    if (moment.hour, moment.minute) == (0, 0):
        return f"{moment:%Y-%m-%d}"
    return f"{moment:%Y-%m-%d %H:%M}"


@click.group()
def data() -> None:
    """Import market data into a LEAN data folder."""


@data.command(name="import")
@click.option(
    "--source", type=click.Choice(SOURCES), required=True, help="Where the bars come from."
)
@symbols_option(help="Comma-separated symbols, e.g. AAPL,MSFT or BTCUSDT,ETHUSDT.")
@resolution_option(help="Bar size.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="First day (inclusive).")
@click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (inclusive); default today (UTC)."
)
@market_option(
    default=None,
    show_default=False,
    help="LEAN market; default usa for equity, binance for crypto.",
)
@security_type_option(
    default=None, show_default=False, help="Default: crypto for binance, else equity."
)
@click.option(
    "--csv-path",
    type=click.Path(exists=True, path_type=Path),
    help="CSV file or folder (csv source).",
)
@data_folder_option(required=True, help="LEAN data folder to write into, e.g. data/.")
def import_command(
    source: str,
    symbols: str | None,
    resolution: str,
    start: datetime | None,
    end: datetime | None,
    market: str | None,
    security_type: str | None,
    csv_path: Path | None,
    data_folder: Path,
) -> None:
    """Write bars from a source into LEAN's format, merging with existing files.

    Sources: bundled (offline daily US stocks, split-adjusted), csv (files with
    time, open, high, low, close, volume columns), binance (public klines; set
    BINANCE_BASE_URL to use a mirror) and polygon (aggregates; key from
    MARKET_DATA_API_KEY).
    """
    console = _console()
    try:
        config = ImportConfig(
            source=source,
            data_folder=data_folder,
            symbols=_symbols(symbols),
            resolution=resolution,
            start=_day(start),
            end=_day(end),
            market=market,
            security_type=security_type,
            csv_path=csv_path,
        )
        tasks = plan_import(config, today=datetime.now(UTC).date())
    except (ImportRequestError, *IMPORT_ERRORS) as error:
        raise click.ClickException(str(error)) from None
    try:
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as progress:
            bar = progress.add_task(f"import {source}", total=len(tasks), rows=0)
            written = 0

            def advance(task: ImportTask, rows: int) -> None:
                nonlocal written
                written += rows
                progress.update(bar, advance=1, rows=written, description=f"import {task.symbol}")

            outcomes = import_bars(config, tasks, on_task_done=advance)
    except IMPORT_ERRORS as error:
        raise click.ClickException(str(error)) from None
    table = Table(
        title=f"Imported into {data_folder} ({config.security_type}/{config.market}/{resolution})"
    )
    table.add_column("symbol")
    table.add_column("rows written", justify="right")
    table.add_column("files", justify="right")
    table.add_column("problem")
    for outcome in outcomes:
        table.add_row(
            outcome.symbol, f"{outcome.rows:,}", str(len(outcome.files)), outcome.error or ""
        )
    console.print(table)
    failed = [outcome.symbol for outcome in outcomes if outcome.error]
    if failed:
        raise click.ClickException(
            f"import failed for {', '.join(failed)} (rows already written are kept)"
        )


@data.command(name="backfill")
@click.option("--feed", "feed_name", required=True, help="Feed name, as configured in the backend.")
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (inclusive)."
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last day (inclusive); default up to the last closed bar.",
)
@data_folder_option(
    default=None,
    help="LEAN data folder to write; default the backend's (env ATS_DATA_FOLDER, else data).",
)
def backfill_command(
    feed_name: str, start: datetime, end: datetime | None, data_folder: Path | None
) -> None:
    """First load of a feed's history into the bar table and the LEAN data folder.

    Works in chunks (minute bars: a day, hour bars: 30 days, daily bars: a year) with the
    scheduled task's checks and stores. Resumable: chunks already stored completely are
    skipped, so running it again continues where it stopped; killing it loses at most the
    chunk in progress and never stores a bar twice.
    """
    from backend import embedded

    embedded.django_setup()
    from backend.market.backfill import Chunk, feed_backfill
    from backend.market.ingestion import FeedBusyError
    from backend.market.selectors import feed_get
    from market_data.ingest import IngestReport

    feed = feed_get(name=feed_name)
    if feed is None:
        raise click.ClickException(f"no feed named {feed_name!r} (see /api/market/feeds/)")
    if end is not None and end < start:
        raise click.BadParameter("must not be before --start", param_hint="--end")
    console = _console()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} bars"),
        TimeElapsedColumn(),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        bar = progress.add_task(f"backfill {feed.name}", total=None, rows=0)
        stored = 0

        def planned(chunks: list[Chunk]) -> None:
            progress.update(bar, total=len(chunks))

        def advance(chunk: Chunk, report: IngestReport | None) -> None:
            nonlocal stored
            stored += report.stored if report is not None else 0
            label = f"{chunk.series.symbol.upper()} {chunk.start:%Y-%m-%d}"
            progress.update(bar, advance=1, rows=stored, description=label)

        try:
            run = feed_backfill(
                feed=feed,
                start=start.date(),
                end=_day(end),
                on_plan=planned,
                on_chunk=advance,
                data_folder=data_folder,
            )
        except FeedBusyError as error:
            raise click.ClickException(str(error)) from None
    table = Table(title=f"Backfill of {feed.name} ({feed.resolution}) from {start:%Y-%m-%d}")
    for name in ("symbol", "stored", "refused", "gaps left", "last bar", "problem"):
        table.add_column(name, justify="right" if name in ("stored", "gaps left") else "left")
    for symbol in feed.symbols:
        item = run.series.get(symbol, {})
        refused = ", ".join(f"{k} {v}" for k, v in item.get("refused", {}).items())
        table.add_row(
            symbol,
            f"{item.get('stored', 0):,}",
            refused,
            str(item.get("gaps_remaining", 0)),
            str(item.get("last_bar_time") or "-"),
            item.get("error", ""),
        )
    console.print(table)
    if run.status != "succeeded":
        raise click.ClickException(
            f"backfill {run.status}: {run.error} (bars already stored are kept; run it again)"
        )


@data.command(name="list")
@data_folder_option(exists=True, required=True, help="LEAN data folder to inspect.")
@click.option(
    "--details", is_flag=True, help="Also read each series for its rows and first/last bar."
)
def list_command(data_folder: Path, details: bool) -> None:
    """List the equity and crypto bar series in a LEAN data folder."""
    console = _console()
    series = available(data_folder)
    if not series:
        console.print(f"No equity or crypto bar files in {data_folder}.")
        return
    table = Table(title=f"Series in {data_folder}")
    for name in ("type", "market", "symbol", "resolution", "bars", "files"):
        table.add_column(name, justify="right" if name == "files" else "left")
    if details:
        for name in ("rows", "first", "last"):
            table.add_column(name, justify="right" if name == "rows" else "left")
    for item in series:
        row = [
            item.security_type,
            item.market,
            item.symbol,
            item.resolution,
            item.bar_type,
            str(item.files),
        ]
        if details:
            try:
                bars = read_bars(
                    data_folder,
                    security_type=item.security_type,
                    market=item.market,
                    symbol=item.symbol,
                    resolution=item.resolution,
                    bar_type=item.bar_type,
                )
            except IMPORT_ERRORS as error:
                row += ["-", "unreadable", str(error)[:60]]
            else:
                stamps = (
                    [_short(bars.index[0]), _short(bars.index[-1])] if len(bars) else ["-", "-"]
                )
                row += [f"{len(bars):,}", *stamps]
        table.add_row(*row)
    console.print(table)
