"""Read bars from a LEAN data folder into a pandas frame."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from market_data.lean_format.archive import read_entry
from market_data.lean_format.columns import END_TIME_COLUMN, empty_bars
from market_data.lean_format.errors import LeanDataError
from market_data.lean_format.layout import SeriesKey
from market_data.lean_format.parsing import parse_bar_text
from market_data.lean_format.timing import bar_end_times

TimeBound = date | datetime | pd.Timestamp | str | None


def read_bars(
    data_folder: str | Path,
    *,
    security_type: str,
    market: str,
    symbol: str,
    resolution: str,
    start: TimeBound = None,
    end: TimeBound = None,
    bar_type: str = "trade",
) -> pd.DataFrame:
    """Read one series of trade or quote bars from a LEAN data folder.

    Parameters
    ----------
    data_folder
        Root of the LEAN data folder (the one holding ``equity/``, ``crypto/``).
    security_type
        ``"equity"`` or ``"crypto"``.
    market
        LEAN market, e.g. ``"usa"`` or ``"binance"``.
    symbol
        Ticker, any case.
    resolution
        ``"daily"``, ``"hour"`` or ``"minute"``.
    start, end
        Inclusive bounds on the bar start ``time``, in the data time zone. A ``date``
        (or ``"YYYY-MM-DD"``) bound covers its whole day; ``None`` leaves that side open.
    bar_type
        ``"trade"`` or ``"quote"``.

    Returns
    -------
    pandas.DataFrame
        Index ``time`` (bar start as LEAN stores it: naive, New York time for US equity,
        UTC for crypto), float64 value columns (``open, high, low, close, volume`` or
        ``bid_open .. bid_size, ask_open .. ask_size``; equity prices in dollars) and
        ``end_time``, when the bar is complete.

    Raises
    ------
    LeanDataError
        On an unknown series, a missing file, or a malformed row (file and line named).
    """
    key = SeriesKey(security_type, market, symbol, resolution, bar_type)
    folder = Path(data_folder)
    lower, upper = _bounds(start, end)
    if key.is_per_day:
        bars = _read_minute_files(folder, key, lower, upper)
    else:
        path = key.single_file(folder)
        bars = parse_bar_text(
            read_entry(path, key.entry_name()), key=key, source=str(path), day=None
        )
        bars = _checked_order(bars, source=str(path))
    if lower is not None or upper is not None:
        mask = np.ones(len(bars), dtype=bool)
        if lower is not None:
            mask &= bars.index >= lower
        if upper is not None:
            mask &= bars.index <= upper
        bars = bars.loc[mask]
    bars = bars.copy()
    bars[END_TIME_COLUMN] = bar_end_times(
        pd.DatetimeIndex(bars.index), security_type=key.security_type, resolution=key.resolution
    )
    return bars


def _read_minute_files(
    folder: Path, key: SeriesKey, lower: pd.Timestamp | None, upper: pd.Timestamp | None
) -> pd.DataFrame:
    files = key.day_files(folder)
    if not files:
        raise LeanDataError(
            f"no LEAN {key.bar_type} minute files for {key.symbol} in {key.folder(folder)}"
        )
    frames = []
    for day, path in files.items():
        if lower is not None and day < lower.date():
            continue
        if upper is not None and day > upper.date():
            continue
        text = read_entry(path, key.entry_name(day))
        frames.append(
            _checked_order(
                parse_bar_text(text, key=key, source=str(path), day=day), source=str(path)
            )
        )
    if not frames:
        return empty_bars(key.bar_type)
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def _checked_order(bars: pd.DataFrame, *, source: str) -> pd.DataFrame:
    index = pd.DatetimeIndex(bars.index)
    if not index.is_monotonic_increasing:
        bars = bars.sort_index(kind="stable")
        index = pd.DatetimeIndex(bars.index)
    if index.has_duplicates:
        repeated = index[index.duplicated()][0]
        raise LeanDataError(f"{source}: time {repeated} appears on more than one row")
    return bars


def _bounds(start: TimeBound, end: TimeBound) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    lower = None if start is None else _as_timestamp(start, end_of_day=False)
    upper = None if end is None else _as_timestamp(end, end_of_day=True)
    if lower is not None and upper is not None and lower > upper:
        raise LeanDataError(f"start {lower} is after end {upper}")
    return lower, upper


def _as_timestamp(bound: date | datetime | str, *, end_of_day: bool) -> pd.Timestamp:
    if isinstance(bound, str):
        try:
            bound = date.fromisoformat(bound) if len(bound) == 10 else datetime.fromisoformat(bound)
        except ValueError:
            raise LeanDataError(f"time bound {bound!r} is not an ISO date or date-time") from None
    if isinstance(bound, datetime):  # pandas.Timestamp is a datetime too
        stamp = pd.Timestamp(bound)
        if stamp.tzinfo is not None:
            raise LeanDataError(
                f"time bound {bound} is time-zone aware; pass naive times in the data time zone"
            )
        return stamp
    moment = datetime.combine(bound, time())
    return pd.Timestamp(
        moment + timedelta(days=1) - timedelta(microseconds=1) if end_of_day else moment
    )
