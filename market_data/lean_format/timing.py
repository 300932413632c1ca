"""When a bar starts and when its close can be known (its ``end_time``)."""

from __future__ import annotations

from typing import Final

import pandas as pd

from market_data.lean_format.layout import BAR_PERIODS

DATA_TIME_ZONES: Final[dict[str, str]] = {"equity": "America/New_York", "crypto": "UTC"}
"""Time zone of the timestamps stored in files, per security type (US equity: exchange time)."""

EQUITY_MARKET_CLOSE: Final = pd.Timedelta(hours=16)


def bar_end_times(
    times: pd.DatetimeIndex, *, security_type: str, resolution: str
) -> pd.DatetimeIndex:
    """End time of each bar, in the same (naive) data time zone as ``times``.

    US equity daily bars end at the 16:00 market close of their day, as current LEAN
    emits them; every other bar ends one period after it starts.

    Parameters
    ----------
    times
        Bar start times as stored by LEAN.
    security_type
        ``"equity"`` or ``"crypto"``.
    resolution
        ``"daily"``, ``"hour"`` or ``"minute"``.

    Returns
    -------
    pandas.DatetimeIndex
        The times at which each bar is complete.
    """
    if security_type == "equity" and resolution == "daily":
        return times.normalize() + EQUITY_MARKET_CLOSE
    return times + pd.Timedelta(BAR_PERIODS[resolution])


def to_data_time_zone(times: pd.DatetimeIndex, *, security_type: str) -> pd.DatetimeIndex:
    """Convert aware times to the naive data time zone; leave naive times as they are."""
    if times.tz is None:
        return times
    return times.tz_convert(DATA_TIME_ZONES[security_type]).tz_localize(None)
