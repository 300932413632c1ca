"""Bars from a LEAN data folder into the database (through ``market_data.lean.read_bars``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from market_data.lean import DATA_TIME_ZONES, LeanDataError, read_bars

from .series import RESOLUTION_INTERVALS
from .services import BarValues, bars_store

LEAN_SOURCE = "lean"


def lean_frame_bars(frame: pd.DataFrame, *, security_type: str) -> list[BarValues]:
    """Trade bars as ``read_bars`` returns them, stamped with their end time in UTC."""
    if frame.empty:
        return []
    ends = pd.DatetimeIndex(frame["end_time"])
    if ends.tz is None:
        ends = ends.tz_localize(DATA_TIME_ZONES[security_type])
    ends = ends.tz_convert("UTC")
    starts = pd.DatetimeIndex(frame.index).tz_localize(DATA_TIME_ZONES[security_type])
    starts = starts.tz_convert("UTC")
    columns = [frame[name].to_numpy(dtype=float) for name in ("open", "high", "low", "close")]
    volumes = frame["volume"].to_numpy(dtype=float)
    return [
        BarValues(
            timestamp=end.to_pydatetime(),
            open=float(open_),
            high=float(high),
            low=float(low),
            close=float(close),
            volume=float(volume),
            start=start.to_pydatetime(),
        )
        for start, end, open_, high, low, close, volume in zip(
            starts, ends, *columns, volumes, strict=True
        )
    ]


def lean_bars_import(
    *,
    data_folder: str | Path,
    security_type: str,
    market: str,
    resolution: str,
    symbols: Sequence[str],
) -> dict[str, int]:
    """Store the trade bars of ``symbols``; return the number of bars written per asset.

    Every series is read and checked before anything is stored, so a missing or
    malformed file stores nothing. Running it again writes the same rows.

    Raises
    ------
    ValueError
        No symbols, an unknown resolution or security type, or a series LEAN's reader
        refuses (the message names the file).
    """
    if resolution not in RESOLUTION_INTERVALS:
        raise ValueError(
            f"resolution must be one of {', '.join(RESOLUTION_INTERVALS)}, got {resolution!r}"
        )
    if security_type not in DATA_TIME_ZONES:
        raise ValueError(
            f"security type must be one of {', '.join(DATA_TIME_ZONES)}, got {security_type!r}"
        )
    names = [symbol.strip().upper() for symbol in symbols if symbol.strip()]
    if not names:
        raise ValueError("give at least one symbol")
    if not Path(data_folder).is_dir():
        raise ValueError(f"data folder {str(data_folder)!r} does not exist")
    series: dict[str, list[BarValues]] = {}
    for name in names:
        try:
            frame = read_bars(
                data_folder,
                security_type=security_type,
                market=market,
                symbol=name,
                resolution=resolution,
            )
        except LeanDataError as error:
            raise ValueError(str(error)) from error
        series[name] = lean_frame_bars(frame, security_type=security_type)
    interval = RESOLUTION_INTERVALS[resolution]
    return {
        name: bars_store(
            asset=name,
            interval=interval,
            bars=bars,
            source=LEAN_SOURCE,
            security_type=security_type,
            market=market.strip().lower(),
        )
        for name, bars in series.items()
    }
