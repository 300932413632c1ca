"""Which bars to ask a provider for: after the last stored one, never the forming one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from market_data.ingest.times import GRID_UNITS, bar_period, data_time, first_open_bar
from market_data.lean_format.layout import SeriesKey

DEFAULT_OVERLAP = 3
"""Stored bars fetched again on every run, to pick up a provider's late corrections."""


@dataclass(frozen=True)
class IngestWindow:
    """Bars to request: start times in ``[start, end)``, naive data time.

    Parameters
    ----------
    start
        First bar start to fetch.
    end
        Start of the first bar not closed at planning time (excluded).
    first_load
        Nothing was stored yet; ``start`` is the configured start.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    first_load: bool

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to fetch (no closed bar after the start)."""
        return self.start >= self.end


def plan_window(
    series: SeriesKey,
    *,
    last_bar_time: pd.Timestamp | None,
    now: datetime,
    start: date | datetime | str | pd.Timestamp,
    overlap: int = DEFAULT_OVERLAP,
) -> IngestWindow:
    """The request window of one incremental run.

    Parameters
    ----------
    series
        The series (its resolution sets the bar period and grid).
    last_bar_time
        Start time of the last stored bar (naive data time), or None on a first load.
    now
        Current time, time-zone aware. The window ends at the forming bar, so only bars
        closed at ``now`` are requested.
    start
        Configured start of the series: a first load begins here, and no run goes before it.
        Naive values and dates are data time.
    overlap
        Stored bars requested again (the last ``overlap`` ones); 0 asks only for new bars.

    Returns
    -------
    IngestWindow
        ``[start, end)`` on bar start times; empty when nothing has closed since.
    """
    if overlap < 0:
        raise ValueError(f"overlap must not be negative; got {overlap}")
    configured = data_time(start, series).ceil(GRID_UNITS[series.resolution])
    end = first_open_bar(series, now)
    if last_bar_time is None:
        return IngestWindow(start=configured, end=end, first_load=True)
    resume = pd.Timestamp(last_bar_time) + bar_period(series) * (1 - overlap)
    return IngestWindow(start=max(configured, resume), end=end, first_load=False)
