"""Load bars for the forecast engine: a LEAN data folder or the bundled daily stocks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from market_data.bundled import BundledDataError, load_bundled_daily
from market_data.lean import LeanDataError, read_bars

SOURCES: tuple[str, ...] = ("lean", "bundled")


class BarSourceError(ValueError):
    """Bars cannot be loaded as asked (with the reason)."""


@dataclass(frozen=True)
class BarRequest:
    """Which bars to load.

    Parameters
    ----------
    source
        ``"lean"`` (a LEAN data folder) or ``"bundled"`` (daily US stocks, 2000-2013).
    data_folder
        LEAN data folder; required for ``"lean"``.
    security_type, market, resolution
        LEAN series coordinates.
    symbols
        Tickers; for ``"bundled"`` an empty tuple means all bundled symbols.
    end
        Last bar start time to load (inclusive); ``None`` for everything.
    """

    source: str
    data_folder: Path | None
    security_type: str
    market: str
    resolution: str
    symbols: tuple[str, ...]
    end: pd.Timestamp | None = None

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

    @property
    def hours_per_day(self) -> int:
        """Return hourly bars per trading day: 7 for US equities, 24 otherwise."""
        return 7 if self.security_type == "equity" else 24


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


def load_bars(request: BarRequest) -> dict[str, pd.DataFrame]:
    """Load one frame per symbol (index ``time``; OHLCV and ``end_time``).

    Raises
    ------
    BarSourceError
        If a series is missing, malformed or empty.
    """
    try:
        if request.source == "bundled":
            frames = load_bundled_daily(list(request.symbols) or None)
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
    except (LeanDataError, BundledDataError, OSError) as error:
        raise BarSourceError(str(error)) from error
    if request.end is not None:
        frames = {symbol: frame.loc[frame.index <= request.end] for symbol, frame in frames.items()}
    empty = sorted(symbol for symbol, frame in frames.items() if frame.empty)
    if empty:
        raise BarSourceError(f"no bars for {', '.join(empty)}")
    return frames


def next_returns_table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return ``symbol, bar_time, next_return`` (close to next close) for every bar."""
    from ats.forecast.strategy import next_bar_returns

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
