"""Missing bars inside a stored range, judged by the exchange's calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from market_data.ingest.calendar import CALENDARS, ExchangeCalendar
from market_data.lean_format.layout import SeriesKey


@dataclass(frozen=True)
class Gap:
    """Consecutive expected bars that are missing.

    Parameters
    ----------
    start, end
        Start times of the first and the last missing bar (naive data time, inclusive).
    missing_bars
        How many expected bars are missing in between (closed days not counted).
    """

    start: pd.Timestamp
    end: pd.Timestamp
    missing_bars: int

    def overlaps(self, other: Gap) -> bool:
        """Whether the two gaps share any moment."""
        return self.start <= other.end and other.start <= self.end


def find_gaps(
    times: Iterable[pd.Timestamp] | pd.DatetimeIndex,
    series: SeriesKey,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    calendar: ExchangeCalendar | None = None,
) -> list[Gap]:
    """Ranges of expected bars absent from ``times``.

    Parameters
    ----------
    times
        Start times of the stored bars (naive data time).
    series
        The series; its security type picks the calendar (crypto: every bar of the grid;
        US equity: trading days, regular session, early closes) and its resolution the grid.
    start, end
        Inclusive range to check; default the first and the last stored bar.
    calendar
        Overrides the security type's calendar.

    Returns
    -------
    list of Gap
        In time order; bars next to each other in the expected sequence form one gap
        (a Friday and the next Monday missing are one gap of two bars).
    """
    stored = pd.DatetimeIndex(list(times) if not isinstance(times, pd.DatetimeIndex) else times)
    stored = stored.as_unit("ns")
    if stored.empty and (start is None or end is None):
        return []
    lower = pd.Timestamp(start) if start is not None else stored.min()
    upper = pd.Timestamp(end) if end is not None else stored.max()
    chosen = calendar or CALENDARS[series.security_type]
    expected = chosen.expected_bar_times(series.resolution, lower, upper)
    absent = ~expected.isin(stored)
    if not absent.any():
        return []
    positions = np.flatnonzero(absent)
    breaks = np.flatnonzero(np.diff(positions) > 1)
    firsts = np.concatenate(([0], breaks + 1))
    lasts = np.concatenate((breaks, [len(positions) - 1]))
    return [
        Gap(
            start=expected[positions[a]],
            end=expected[positions[b]],
            missing_bars=int(b - a + 1),
        )
        for a, b in zip(firsts, lasts, strict=True)
    ]
