"""Import bars from a source (bundled, CSV, Binance, Polygon) into a LEAN data folder.

The work is planned as tasks (one per symbol, or per symbol and date chunk for the
web APIs) so a caller can show progress, and each task's bars are written as soon as
they arrive: an interrupted import keeps everything fetched so far.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final, Protocol

import pandas as pd

from market_data.bundled import BUNDLED_SYMBOLS, BundledDataError, load_bundled_daily
from market_data.csv_source import CsvSourceError, read_csv_bars
from market_data.lean_format.errors import LeanDataError
from market_data.lean_format.layout import RESOLUTIONS, SECURITY_TYPES
from market_data.lean_format.writer import write_bars
from market_data.providers.binance import BinanceClient
from market_data.providers.errors import ProviderError
from market_data.providers.polygon import PolygonClient

SOURCES: Final = ("bundled", "csv", "binance", "polygon")
DEFAULT_SECURITY_TYPES: Final = {
    "bundled": "equity",
    "csv": "equity",
    "binance": "crypto",
    "polygon": "equity",
}
DEFAULT_MARKETS: Final = {"equity": "usa", "crypto": "binance"}
BINANCE_INTERVALS: Final = {"daily": "1d", "hour": "1h", "minute": "1m"}
POLYGON_TIMESPANS: Final = {"daily": "day", "hour": "hour", "minute": "minute"}
CHUNK_DAYS: Final = {"daily": 3650, "hour": 180, "minute": 7}
"""Days fetched per request series from the web APIs (also the progress granularity)."""

IMPORT_ERRORS: Final = (LeanDataError, ProviderError, BundledDataError, CsvSourceError, ValueError)


class ImportRequestError(ValueError):
    """The import request itself is invalid (nothing was written)."""


@dataclass(frozen=True)
class ImportConfig:
    """What to import and where.

    Parameters
    ----------
    source
        ``"bundled"``, ``"csv"``, ``"binance"`` or ``"polygon"``.
    data_folder
        LEAN data folder to write into.
    symbols
        Symbols to import; optional for ``bundled`` (its default set) and ``csv`` (all in the files).
    resolution
        ``"daily"``, ``"hour"`` or ``"minute"`` (``bundled`` is daily only).
    start, end
        Inclusive dates; ``start`` is required for the web APIs, ``end`` defaults to today.
    market
        LEAN market; defaults to ``usa`` for equity and ``binance`` for crypto.
    security_type
        ``"equity"`` or ``"crypto"``; defaults by source (``binance``: crypto, else equity).
    csv_path
        File or folder for the ``csv`` source.
    """

    source: str
    data_folder: Path
    symbols: tuple[str, ...] = ()
    resolution: str = "daily"
    start: date | None = None
    end: date | None = None
    market: str | None = None
    security_type: str | None = None
    csv_path: Path | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ImportRequestError(
                f"source must be one of {', '.join(SOURCES)}; got {self.source!r}"
            )
        if self.resolution not in RESOLUTIONS:
            raise ImportRequestError(
                f"resolution must be one of {', '.join(RESOLUTIONS)}; got {self.resolution!r}"
            )
        security_type = self.security_type or DEFAULT_SECURITY_TYPES[self.source]
        if security_type not in SECURITY_TYPES:
            raise ImportRequestError(
                f"security type must be one of {', '.join(SECURITY_TYPES)}; got {security_type!r}"
            )
        object.__setattr__(self, "security_type", security_type)
        object.__setattr__(self, "market", (self.market or DEFAULT_MARKETS[security_type]).lower())
        object.__setattr__(
            self, "symbols", tuple(s.strip().upper() for s in self.symbols if s.strip())
        )
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ImportRequestError(f"start {self.start} is after end {self.end}")
        if self.source == "bundled" and (self.resolution != "daily" or security_type != "equity"):
            raise ImportRequestError("the bundled data is daily US equity only")
        if self.source == "binance" and security_type != "crypto":
            raise ImportRequestError("Binance serves crypto; use --security-type crypto")
        if self.source == "csv" and self.csv_path is None:
            raise ImportRequestError("the csv source needs --csv-path")
        if self.source in ("binance", "polygon"):
            if not self.symbols:
                raise ImportRequestError(f"{self.source} needs --symbols")
            if self.start is None:
                raise ImportRequestError(f"{self.source} needs --start")


@dataclass(frozen=True)
class ImportTask:
    """One unit of work: a symbol and the inclusive date range to fetch (None: all)."""

    symbol: str
    start: date | None
    end: date | None


@dataclass
class SymbolImport:
    """Outcome for one symbol."""

    symbol: str
    rows: int = 0
    files: set[Path] = field(default_factory=set)
    error: str | None = None


class BarSource(Protocol):
    """Where bars come from."""

    def fetch(self, task: ImportTask) -> pd.DataFrame:
        """Bars for the task's symbol and dates."""
        ...


def plan_import(config: ImportConfig, *, today: date) -> list[ImportTask]:
    """Split the import into tasks, in the order they will run."""
    symbols = list(config.symbols)
    if not symbols and config.source == "bundled":
        symbols = list(BUNDLED_SYMBOLS)
    if not symbols and config.source == "csv":
        assert config.csv_path is not None
        symbols = sorted(read_csv_bars(config.csv_path))
    if config.source in ("bundled", "csv"):
        return [ImportTask(symbol, config.start, config.end) for symbol in symbols]
    assert config.start is not None
    end = config.end or today
    if config.start > end:
        raise ImportRequestError(f"start {config.start} is after end {end}")
    return [
        ImportTask(symbol, chunk_start, chunk_end)
        for symbol in symbols
        for chunk_start, chunk_end in _chunks(config.start, end, CHUNK_DAYS[config.resolution])
    ]


def import_bars(
    config: ImportConfig,
    tasks: Sequence[ImportTask],
    *,
    binance: BinanceClient | None = None,
    polygon: PolygonClient | None = None,
    on_task_done: Callable[[ImportTask, int], None] | None = None,
) -> list[SymbolImport]:
    """Run the tasks, writing each task's bars into the data folder at once.

    A failing symbol is recorded (``error``) and skipped; the other symbols go on.
    """
    with contextlib.ExitStack() as owned:
        source = _source(config, binance=binance, polygon=polygon, owned=owned)
        return _run(config, tasks, source, on_task_done)


def _run(
    config: ImportConfig,
    tasks: Sequence[ImportTask],
    source: BarSource,
    on_task_done: Callable[[ImportTask, int], None] | None,
) -> list[SymbolImport]:
    outcomes: dict[str, SymbolImport] = {}
    for task in tasks:
        outcome = outcomes.setdefault(task.symbol, SymbolImport(task.symbol))
        rows = 0
        if outcome.error is None:
            try:
                bars = source.fetch(task)
                written = write_bars(
                    config.data_folder,
                    bars,
                    security_type=str(config.security_type),
                    market=str(config.market),
                    symbol=task.symbol,
                    resolution=config.resolution,
                )
            except IMPORT_ERRORS as error:
                outcome.error = f"{type(error).__name__}: {error}"
            else:
                rows = len(bars)
                outcome.rows += rows
                outcome.files.update(written)
        if on_task_done is not None:
            on_task_done(task, rows)
    return list(outcomes.values())


def _chunks(start: date, end: date, days: int) -> Iterator[tuple[date, date]]:
    cursor = start
    while cursor <= end:
        last = min(end, cursor + timedelta(days=days - 1))
        yield cursor, last
        cursor = last + timedelta(days=1)


def _within(bars: pd.DataFrame, task: ImportTask) -> pd.DataFrame:
    days = pd.DatetimeIndex(bars.index).normalize()
    mask = pd.Series(True, index=bars.index).to_numpy()
    if task.start is not None:
        mask &= days >= pd.Timestamp(task.start)
    if task.end is not None:
        mask &= days <= pd.Timestamp(task.end)
    return bars.loc[mask]


def _dates(task: ImportTask) -> tuple[date, date]:
    if task.start is None or task.end is None:
        raise ImportRequestError(f"a web API task needs both dates; got {task}")
    return task.start, task.end


class _BundledSource:
    def __init__(self, symbols: Sequence[str]) -> None:
        self._bars = load_bundled_daily(list(symbols) or None)

    def fetch(self, task: ImportTask) -> pd.DataFrame:
        return _within(self._bars[task.symbol], task)


class _CsvSource:
    def __init__(self, path: Path, symbols: Sequence[str]) -> None:
        single = path.is_file() and len(symbols) == 1
        self._bars = read_csv_bars(path, symbol=symbols[0] if single else None)

    def fetch(self, task: ImportTask) -> pd.DataFrame:
        if task.symbol not in self._bars:
            raise CsvSourceError(
                f"no rows for {task.symbol}; the CSV holds {', '.join(sorted(self._bars))}"
            )
        return _within(self._bars[task.symbol], task)


class _BinanceSource:
    def __init__(self, client: BinanceClient, resolution: str) -> None:
        self._client = client
        self._interval = BINANCE_INTERVALS[resolution]

    def fetch(self, task: ImportTask) -> pd.DataFrame:
        start, end = _dates(task)
        return self._client.fetch_klines(
            task.symbol, self._interval, start, end + timedelta(days=1)
        )


class _PolygonSource:
    def __init__(self, client: PolygonClient, config: ImportConfig) -> None:
        self._client = client
        self._timespan = POLYGON_TIMESPANS[config.resolution]
        self._time_zone = "UTC" if config.security_type == "crypto" else "America/New_York"

    def fetch(self, task: ImportTask) -> pd.DataFrame:
        start, end = _dates(task)
        return self._client.fetch_aggregates(
            task.symbol, 1, self._timespan, start, end, time_zone=self._time_zone
        )


def _source(
    config: ImportConfig,
    *,
    binance: BinanceClient | None,
    polygon: PolygonClient | None,
    owned: contextlib.ExitStack,
) -> BarSource:
    """The source for the config; clients created here are closed when ``owned`` closes."""
    if config.source == "bundled":
        return _BundledSource(config.symbols)
    if config.source == "csv":
        assert config.csv_path is not None
        return _CsvSource(config.csv_path, config.symbols)
    if config.source == "binance":
        return _BinanceSource(binance or owned.enter_context(BinanceClient()), config.resolution)
    return _PolygonSource(polygon or owned.enter_context(PolygonClient()), config)
