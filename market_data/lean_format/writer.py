"""Write bars into a LEAN data folder, merging with what is already there."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from market_data.lean_format.archive import read_entry, write_entry
from market_data.lean_format.columns import (
    INDEX_NAME,
    QUOTE_COLUMNS,
    SIZE_COLUMNS,
    value_columns,
)
from market_data.lean_format.errors import LeanDataError
from market_data.lean_format.formatting import format_bar_text
from market_data.lean_format.layout import SeriesKey
from market_data.lean_format.parsing import parse_bar_text
from market_data.lean_format.timing import to_data_time_zone


def write_bars(
    data_folder: str | Path,
    bars: pd.DataFrame,
    *,
    security_type: str,
    market: str,
    symbol: str,
    resolution: str,
) -> list[Path]:
    """Write bars in LEAN's format, merged with the series' existing files.

    Parameters
    ----------
    data_folder
        Root of the LEAN data folder.
    bars
        Frame shaped like :func:`read_bars` returns: a ``time`` DatetimeIndex of bar
        start times and either trade columns (``open, high, low, close, volume``) or
        quote columns (``bid_open .. ask_size``). Naive times are taken as data time
        (New York for US equity, UTC for crypto); aware times are converted to it.
        ``end_time`` and other extra columns are ignored.
    security_type, market, symbol, resolution
        The series, as for :func:`read_bars`.

    Returns
    -------
    list of pathlib.Path
        The zip files written (one per day for minute data).

    Raises
    ------
    LeanDataError
        When the frame is not valid bars; nothing is written then.

    Notes
    -----
    A bar whose time already exists in the file replaces the old one; other existing
    bars are kept. Files are replaced atomically. Equity prices are rounded to whole
    deci-cents (1/10,000 dollar) and equity volumes to whole shares.
    """
    bar_type = "quote" if set(QUOTE_COLUMNS) <= set(bars.columns) else "trade"
    key = SeriesKey(security_type, market, symbol, resolution, bar_type)
    folder = Path(data_folder)
    clean = _validated(bars, key)
    if clean.empty:
        return []
    if not key.is_per_day:
        path = key.single_file(folder)
        _merge_and_write(path, clean, key=key, day=None)
        return [path]
    written = []
    days = pd.DatetimeIndex(clean.index).normalize()
    for day_stamp, day_bars in clean.groupby(days, sort=True):
        day = pd.Timestamp(day_stamp).date()
        path = key.day_file(folder, day)
        _merge_and_write(path, day_bars, key=key, day=day)
        written.append(path)
    return written


def _merge_and_write(path: Path, bars: pd.DataFrame, *, key: SeriesKey, day: date | None) -> None:
    entry = key.entry_name(day)
    if path.exists():
        existing = parse_bar_text(read_entry(path, entry), key=key, source=str(path), day=day)
        kept = existing.loc[~existing.index.isin(bars.index)]
        bars = pd.concat([kept, bars]).sort_index(kind="stable")
    write_entry(path, entry, format_bar_text(bars, key=key, day=day))


def _validated(bars: pd.DataFrame, key: SeriesKey) -> pd.DataFrame:
    if not isinstance(bars.index, pd.DatetimeIndex):
        raise LeanDataError(
            f"bars for {key.symbol} need a DatetimeIndex of bar start times; got {type(bars.index).__name__}"
        )
    columns = list(value_columns(key.bar_type))
    missing = [name for name in columns if name not in bars.columns]
    if missing:
        raise LeanDataError(f"bars for {key.symbol} lack columns: {', '.join(missing)}")
    try:
        values = bars[columns].astype(np.float64)
    except (TypeError, ValueError) as error:
        raise LeanDataError(f"bars for {key.symbol} hold non-numeric values ({error})") from None
    index = to_data_time_zone(pd.DatetimeIndex(bars.index), security_type=key.security_type)
    values.index = pd.DatetimeIndex(index.as_unit("ns"), name=INDEX_NAME)
    _check_values(values, key)
    _check_times(pd.DatetimeIndex(values.index), key)
    return values.sort_index(kind="stable")


def _check_values(values: pd.DataFrame, key: SeriesKey) -> None:
    array = values.to_numpy()
    for position, name in enumerate(values.columns):
        column = array[:, position]
        may_be_empty = key.bar_type == "quote" and name not in SIZE_COLUMNS
        bad = np.isinf(column) | (np.isnan(column) & (not may_be_empty))
        if name in SIZE_COLUMNS:
            bad |= column < 0
        if bad.any():
            first = values.index[int(np.argmax(bad))]
            raise LeanDataError(
                f"bars for {key.symbol}: {name} at {first} is {column[int(np.argmax(bad))]}"
                " (must be a finite number, sizes not negative)"
            )


def _check_times(index: pd.DatetimeIndex, key: SeriesKey) -> None:
    if index.hasnans:
        raise LeanDataError(f"bars for {key.symbol} have missing times")
    if index.has_duplicates:
        raise LeanDataError(
            f"bars for {key.symbol}: time {index[index.duplicated()][0]} appears twice"
        )
    unit = {"daily": "D", "hour": "h", "minute": "min"}[key.resolution]
    misaligned = index != index.floor(unit)
    if misaligned.any():
        raise LeanDataError(
            f"bars for {key.symbol}: time {index[misaligned][0]} is not on a {key.resolution} boundary"
            + (" (daily bars start at midnight)" if key.resolution == "daily" else "")
        )
