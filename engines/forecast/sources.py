"""Load bars for the forecast engine: a LEAN data folder, the bundled stocks, a provider or the database.

The ``database`` source reads the bar table the backend's scheduled ingestion fills. The
engines do not import the backend (floors run one way), so that source takes an injected
:class:`BarLoader`; the backend passes its own (``backend.engines.services``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd

from market_data.bundled import BundledDataError, load_bundled_daily
from market_data.lean import LeanDataError, read_bars
from market_data.providers.binance import BinanceClient
from market_data.providers.errors import ProviderError
from market_data.providers.polygon import PolygonClient

SOURCES: tuple[str, ...] = ("lean", "bundled", "binance", "polygon", "database")

_BINANCE_INTERVALS = {"hour": "1h", "daily": "1d"}
_POLYGON_TIMESPANS = {"hour": "hour", "daily": "day"}


class BarSourceError(ValueError):
    """Bars cannot be loaded as asked (with the reason)."""


@dataclass(frozen=True)
class BarRequest:
    """Which bars to load.

    Parameters
    ----------
    source
        ``"lean"`` (a LEAN data folder), ``"bundled"`` (daily US stocks, 2000-2013),
        ``"binance"`` (public klines of the last ``history_days``; crypto only),
        ``"polygon"`` (aggregates of the last ``history_days``; US equity only) or
        ``"database"`` (the backend's bar table, through an injected :class:`BarLoader`).
    data_folder
        LEAN data folder; required for ``"lean"``.
    security_type, market, resolution
        LEAN series coordinates.
    symbols
        Tickers; for ``"bundled"`` an empty tuple means all bundled symbols.
    end
        Last bar start time to load (inclusive); ``None`` for everything.
    history_days
        Days of bars to fetch from a provider or read from the database.
    """

    source: str
    data_folder: Path | None
    security_type: str
    market: str
    resolution: str
    symbols: tuple[str, ...]
    end: pd.Timestamp | None = None
    history_days: int = 730

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise BarSourceError(f"unknown source {self.source!r}; expected one of {list(SOURCES)}")
        if self.source == "lean" and self.data_folder is None:
            raise BarSourceError("--data-folder is required with the lean source")
        if self.source == "lean" and not self.symbols:
            raise BarSourceError("--symbols is required with the lean source")
        if self.source == "bundled" and (
            self.resolution != "daily" or self.security_type != "equity"
        ):
            raise BarSourceError("the bundled data holds daily US equity bars only")
        if self.source == "binance" and (self.security_type != "crypto" or not self.symbols):
            raise BarSourceError("the binance source needs --security-type crypto and --symbols")
        if self.source == "polygon" and (self.security_type != "equity" or not self.symbols):
            raise BarSourceError("the polygon source needs --security-type equity and --symbols")
        if self.source == "database" and not self.symbols:
            raise BarSourceError("--symbols is required with the database source")
        if self.history_days < 1:
            raise BarSourceError("history_days must be at least 1")

    @property
    def hours_per_day(self) -> int:
        """Return hourly bars per trading day: 7 for US equities, 24 otherwise."""
        return 7 if self.security_type == "equity" else 24


class BarLoader(Protocol):
    """Loads a request's bars from storage outside the engines (the backend's bar table).

    Returns one frame per requested symbol in the ``market_data.lean.read_bars`` shape
    (index ``time``, the bar start, naive in the data time zone; OHLCV and ``end_time``)
    over the request's last ``history_days`` up to ``now`` (``None``: the newest bars).
    A symbol without bars maps to an empty frame.
    """

    def __call__(
        self, request: BarRequest, *, now: dt.datetime | None
    ) -> dict[str, pd.DataFrame]: ...


def parse_symbols(text: str | None) -> tuple[str, ...]:
    """Split a comma-separated symbol list, dropping blanks and duplicates."""
    if not text:
        return ()
    seen: list[str] = []
    for part in text.split(","):
        symbol = part.strip()
        if symbol and symbol.upper() not in (s.upper() for s in seen):
            seen.append(symbol)
    return tuple(seen)


def load_bars(
    request: BarRequest,
    *,
    now: dt.datetime | None = None,
    loader: BarLoader | None = None,
    allow_empty: bool = False,
) -> dict[str, pd.DataFrame]:
    """Load one frame per symbol (index ``time``; OHLCV and ``end_time``).

    Parameters
    ----------
    request
        What to load.
    now
        Current time (UTC); required by provider sources, which fetch up to it.
    loader
        Reads the ``database`` source (required for it, ignored by the others).
    allow_empty
        Keep symbols without bars as empty frames instead of failing (a live cycle skips
        them and forecasts the others).

    Raises
    ------
    BarSourceError
        If a series is missing or malformed, empty (unless ``allow_empty``), or the
        ``database`` source has no loader.
    """
    try:
        if request.source == "bundled":
            frames = load_bundled_daily(list(request.symbols) or None)
        elif request.source == "binance":
            frames = _binance_bars(request, now)
        elif request.source == "polygon":
            frames = _polygon_bars(request, now)
        elif request.source == "database":
            if loader is None:
                raise BarSourceError(
                    "the database source needs the backend's bar loader: run it as "
                    "ats forecast run --source database or as the backend's Celery cycle"
                )
            frames = dict(loader(request, now=now))
        else:
            assert request.data_folder is not None
            frames = {
                symbol: read_bars(
                    request.data_folder,
                    security_type=request.security_type,
                    market=request.market,
                    symbol=symbol,
                    resolution=request.resolution,
                    end=request.end,
                )
                for symbol in request.symbols
            }
    except (LeanDataError, BundledDataError, ProviderError, OSError) as error:
        raise BarSourceError(str(error)) from error
    if request.end is not None:
        frames = {symbol: frame.loc[frame.index <= request.end] for symbol, frame in frames.items()}
    empty = sorted(symbol for symbol, frame in frames.items() if frame.empty)
    if empty and not allow_empty:
        raise BarSourceError(f"no bars for {', '.join(empty)}")
    return frames


def _binance_bars(request: BarRequest, now: dt.datetime | None) -> dict[str, pd.DataFrame]:
    if now is None:
        raise BarSourceError("the binance source needs the current time")
    end = now if request.end is None else min(now, request.end.tz_localize("UTC").to_pydatetime())
    start = end - dt.timedelta(days=request.history_days)
    with BinanceClient() as client:
        return {
            symbol: client.fetch_klines(symbol, _BINANCE_INTERVALS[request.resolution], start, end)
            for symbol in request.symbols
        }


def _polygon_bars(request: BarRequest, now: dt.datetime | None) -> dict[str, pd.DataFrame]:
    """Closed aggregates of the last ``history_days`` (New York exchange time, as LEAN)."""
    if now is None:
        raise BarSourceError("the polygon source needs the current time")
    moment = now
    end = (
        moment
        if request.end is None
        else min(moment, request.end.tz_localize("America/New_York").to_pydatetime())
    )
    start = end - dt.timedelta(days=request.history_days)
    # The client's clock is the cycle's now: a bar not closed then is never returned.
    with PolygonClient(clock=lambda: moment) as client:
        return {
            symbol: client.fetch_aggregates(
                symbol, 1, _POLYGON_TIMESPANS[request.resolution], start, end
            )
            for symbol in request.symbols
        }


def next_returns_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return ``symbol, bar_time, next_return`` (close to next close) for every bar."""
    from engines.forecast.strategy import next_bar_returns

    pieces = []
    for symbol, frame in frames.items():
        returns = next_bar_returns(frame["close"])
        pieces.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "bar_time": pd.DatetimeIndex(returns.index),
                    "next_return": returns.to_numpy(),
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)
