"""Bar periods, grids and the clock in a series' data time zone (naive, as LEAN stores it)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from market_data.lean_format.layout import BAR_PERIODS, SeriesKey
from market_data.lean_format.timing import DATA_TIME_ZONES, bar_end_times

GRID_UNITS = {"daily": "D", "hour": "h", "minute": "min"}
"""pandas frequency of each resolution's grid of bar start times."""


def bar_period(series: SeriesKey) -> pd.Timedelta:
    """Spacing of the series' bar start times."""
    return pd.Timedelta(BAR_PERIODS[series.resolution])


def data_now(now: datetime, series: SeriesKey) -> pd.Timestamp:
    """``now`` (time-zone aware) as a naive time in the series' data time zone."""
    if now.tzinfo is None:
        raise ValueError("now must be time-zone aware")
    zone = DATA_TIME_ZONES[series.security_type]
    return pd.Timestamp(now).tz_convert(zone).tz_localize(None).as_unit("ns")


def data_time(moment: date | datetime | str | pd.Timestamp, series: SeriesKey) -> pd.Timestamp:
    """A bound as a naive data time: aware values are converted, naive ones and dates kept."""
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is not None:
        zone = DATA_TIME_ZONES[series.security_type]
        stamp = stamp.tz_convert(zone).tz_localize(None)
    return stamp.as_unit("ns")


def on_grid(times: pd.DatetimeIndex, series: SeriesKey) -> pd.Series:
    """Whether each time is a bar start of the series' resolution (daily: midnight)."""
    unit = GRID_UNITS[series.resolution]
    return pd.Series(times == times.floor(unit), index=times)


def end_times(times: pd.DatetimeIndex, series: SeriesKey) -> pd.DatetimeIndex:
    """When each bar is complete (LEAN's convention, see :func:`market_data.lean.bar_end_times`)."""
    return bar_end_times(times, security_type=series.security_type, resolution=series.resolution)


def first_open_bar(series: SeriesKey, now: datetime) -> pd.Timestamp:
    """Start time of the earliest grid bar not yet closed at ``now``.

    Every bar starting before it has closed; it is the forming bar (or a later one when
    the market is shut).
    """
    local = data_now(now, series)
    candidate = local.floor(GRID_UNITS[series.resolution])
    while end_times(pd.DatetimeIndex([candidate]), series)[0] <= local:
        candidate += bar_period(series)
    return candidate
