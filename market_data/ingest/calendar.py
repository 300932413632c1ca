"""Which bars an exchange is expected to have: trading days, regular sessions, early closes.

Crypto markets never close. US equity trades 09:30-16:00 New York on weekdays except
LEAN's holidays, closing at 13:00 on its early-close days (LEAN's
``Common/Securities/SecurityExchangeHours.cs`` ``IsDateOpen`` and ``GetMarketHours``, with
the ``Equity-usa-[*]`` entry of its market-hours database). Only regular hours count:
extended-hours bars a provider sends are welcome but never expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import MappingProxyType

import pandas as pd

from market_data.ingest.us_equity_calendar import EARLY_CLOSES, HOLIDAYS

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ExchangeCalendar:
    """Regular trading hours of one exchange, in its own naive local time.

    Parameters
    ----------
    time_zone
        The exchange's time zone (also the data time zone of its LEAN files).
    always_open
        The market never closes (crypto).
    market_open, market_close
        Regular session on a normal trading day.
    holidays
        Weekdays the market is closed.
    early_closes
        Days the session ends early, with that close.
    """

    time_zone: str
    always_open: bool
    market_open: time = time(0, 0)
    market_close: time = time(0, 0)
    holidays: frozenset[date] = frozenset()
    early_closes: Mapping[date, time] = field(default_factory=dict)

    def is_trading_day(self, day: date) -> bool:
        """Whether the market opens on ``day`` (a weekday that is not a holiday)."""
        return self.always_open or (day.weekday() < 5 and day not in self.holidays)

    def session(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's regular session ``[open, close)``, or None when the market is shut."""
        if not self.is_trading_day(day):
            return None
        if self.always_open:
            start = datetime.combine(day, time(0, 0))
            return start, start + _ONE_DAY
        close = self.early_closes.get(day, self.market_close)
        return datetime.combine(day, self.market_open), datetime.combine(day, close)

    def expected_bar_times(
        self, resolution: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """Start times of the bars the market should have in ``[start, end]``.

        Daily: midnight of each trading day. Hour: every hour overlapping the session
        (LEAN's equity hour bars start at 09:00 for the 09:30-10:00 trading). Minute:
        every minute of the session.
        """
        if resolution not in ("daily", "hour", "minute"):
            raise ValueError(f"resolution must be daily, hour or minute; got {resolution!r}")
        lower, upper = pd.Timestamp(start), pd.Timestamp(end)
        if upper < lower:
            return pd.DatetimeIndex([], dtype="datetime64[ns]")
        if self.always_open:
            unit = {"daily": "D", "hour": "h", "minute": "min"}[resolution]
            return pd.date_range(lower.ceil(unit), upper, freq=unit).as_unit("ns")
        days = pd.date_range(lower.normalize(), upper.normalize(), freq="D")
        if resolution == "daily":
            open_days = [day for day in days if self.is_trading_day(day.date())]
            times = pd.DatetimeIndex(open_days)
        else:
            step = "h" if resolution == "hour" else "min"
            period = pd.Timedelta(hours=1) if resolution == "hour" else pd.Timedelta(minutes=1)
            pieces: list[pd.DatetimeIndex] = []
            for day in days:
                session = self.session(day.date())
                if session is None:
                    continue
                first = pd.Timestamp(session[0]).floor(step)
                last = pd.Timestamp(session[1]) - period
                pieces.append(pd.date_range(first, last.ceil(step), freq=step))
            times = pd.DatetimeIndex(pieces[0].append(pieces[1:]) if pieces else [])
        times = times.as_unit("ns")
        return times[(times >= lower) & (times <= upper)]


US_EQUITY = ExchangeCalendar(
    time_zone="America/New_York",
    always_open=False,
    market_open=time(9, 30),
    market_close=time(16, 0),
    holidays=HOLIDAYS,
    early_closes=MappingProxyType(EARLY_CLOSES),
)
"""``Equity-usa-[*]``: 09:30-16:00 New York on weekdays, holidays and 13:00 early closes."""

CRYPTO = ExchangeCalendar(time_zone="UTC", always_open=True)
"""``Crypto-<market>-[*]``: open around the clock, every day, in UTC."""

CALENDARS: Mapping[str, ExchangeCalendar] = MappingProxyType(
    {"equity": US_EQUITY, "crypto": CRYPTO}
)
"""The calendar of each security type's series (US equity is the only equity market here)."""
