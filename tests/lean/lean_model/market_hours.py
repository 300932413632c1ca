"""Exchange hours as LEAN computes them: open/closed instants, next open, bar end times.

Each function follows one member of LEAN's ``Common/Securities/SecurityExchangeHours.cs``
(or the file named on it); only regular market hours are modelled (``extendedMarketHours``
false everywhere our code calls LEAN).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tests.lean.lean_model.us_equity_calendar import EARLY_CLOSES, HOLIDAYS

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)
ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class ExchangeHours:
    """Regular market hours of one exchange, in its own (naive, local) time.

    ``always_open``: the market never closes (crypto; ``IsMarketAlwaysOpen``).
    """

    time_zone: str
    always_open: bool
    market_open: time = time(0, 0)
    market_close: time = time(0, 0)
    holidays: frozenset[date] = frozenset()
    early_closes: dict[date, time] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    # SecurityExchangeHours.RegularMarketDuration: the regular session's length.
    @property
    def regular_market_duration(self) -> timedelta:
        if self.always_open:
            return ONE_DAY
        return datetime.combine(date.min, self.market_close) - datetime.combine(
            date.min, self.market_open
        )

    # SecurityExchangeHours.IsDateOpen: a day with regular hours that is not a holiday.
    def is_date_open(self, day: date) -> bool:
        if self.always_open:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def session(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's regular segment [open, close); early closes shorten it.

        SecurityExchangeHours.GetMarketHours: holidays are closed all day, an early close
        cuts the segment that contains it.
        """
        if not self.is_date_open(day):
            return None
        if self.always_open:
            start = datetime.combine(day, time(0, 0))
            return start, start + ONE_DAY
        close = self.early_closes.get(day, self.market_close)
        return datetime.combine(day, self.market_open), datetime.combine(day, close)

    # SecurityExchangeHours.IsOpen(DateTime, bool) -> MarketHoursSegment.Contains: start <= t < end.
    def is_open(self, local: datetime) -> bool:
        if self.always_open:
            return True
        segment = self.session(local.date())
        return segment is not None and segment[0] <= local < segment[1]

    # SecurityExchangeHours.IsOpen(start, end, bool) -> MarketHoursSegment.Overlaps:
    # open at any moment of [start, end).
    def is_open_between(self, start: datetime, end: datetime) -> bool:
        if start == end:
            return self.is_open(start)
        if self.always_open:
            return True
        day = start.date()
        while datetime.combine(day, time(0, 0)) < end:
            segment = self.session(day)
            if segment is not None and segment[0] < end and segment[1] > start:
                return True
            day += ONE_DAY
        return False

    # SecurityExchangeHours.GetNextMarketOpen(local, false): the first open strictly after.
    def next_market_open(self, local: datetime) -> datetime:
        if self.always_open:
            # LEAN throws here ("unable to locate next market open") for always-open markets.
            raise ValueError("an always-open market has no next market open")
        day = local.date()
        for _ in range(15):
            segment = self.session(day)
            if segment is not None and local < segment[0]:
                return segment[0]
            day += ONE_DAY
        raise ValueError(f"no market open within two weeks of {local}")

    # SecurityExchangeHours.GetLastDailyMarketClose / LocalMarketHours: the day's close.
    def market_close_on(self, day: date) -> datetime | None:
        segment = self.session(day)
        return None if segment is None else segment[1]

    def to_utc(self, local: datetime) -> datetime:
        """Naive exchange time to naive UTC (LEAN's ``ConvertToUtc``)."""
        aware = local.replace(tzinfo=self.zone)
        return aware.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    def from_utc(self, utc: datetime) -> datetime:
        """Naive UTC to naive exchange time (LEAN's ``ConvertFromUtc``)."""
        aware = utc.replace(tzinfo=ZoneInfo("UTC"))
        return aware.astimezone(self.zone).replace(tzinfo=None)

    # Common/Time.cs GetEndTimeForTradeBars: step bar_size at a time, counting only
    # steps during which the market was open (whole open days for daily bars).
    def end_time_for_trade_bars(self, start: datetime, bar_size: timedelta, count: int) -> datetime:
        current = start
        done = 0
        if bar_size == ONE_DAY:
            while done < count:
                current += ONE_DAY
                if self.is_date_open(current.date()):
                    done += 1
            return current
        while done < count:
            previous, current = current, current + bar_size
            if self.is_open_between(previous, current):
                done += 1
        return current


US_EQUITY = ExchangeHours(
    time_zone="America/New_York",
    always_open=False,
    market_open=time(9, 30),
    market_close=time(16, 0),
    holidays=HOLIDAYS,
    early_closes=EARLY_CLOSES,
)
"""``Equity-usa-[*]``: 09:30-16:00 New York on weekdays, holidays and 13:00 early closes."""

CRYPTO = ExchangeHours(time_zone="UTC", always_open=True)
"""``Crypto-<market>-[*]``: open around the clock every day, in UTC."""


def _resolution_step(period: timedelta) -> timedelta:
    # Common/Extensions.cs ToHigherResolutionEquivalent(requireExactMatch: false), with
    # Insight.ComputeCloseTime's remaps (tick -> second, hour -> minute).
    if period < timedelta(minutes=1):
        return ONE_SECOND
    if period < ONE_DAY:
        return ONE_MINUTE
    return ONE_DAY


def insight_close_time_for_period(
    hours: ExchangeHours, generated_utc: datetime, period: timedelta
) -> datetime:
    """UTC close time of an insight given a ``timedelta`` period (counted in trading time).

    Common/Algorithm/Framework/Alphas/Insight.cs ``ComputeCloseTime(exchangeHours,
    generatedTimeUtc, period)``.
    """
    if period < ONE_SECOND:
        raise ValueError("Insight period must be at least one second")  # Insight.Price
    step = _resolution_step(period)
    count = int(period / step)
    start_local = hours.from_utc(generated_utc)
    close_local = hours.end_time_for_trade_bars(start_local, step, count)
    close_utc = hours.to_utc(close_local)
    if close_utc == generated_utc:
        return hours.to_utc(hours.end_time_for_trade_bars(start_local, ONE_SECOND, 1))
    remainder = period - step * count
    if remainder:
        if step == ONE_DAY:
            # "interpret the remainder as fractional trading days"
            remainder = hours.regular_market_duration * (remainder / ONE_DAY)
        minutes = int(remainder / ONE_MINUTE)
        if minutes > 0:
            local = hours.from_utc(close_utc)
            close_utc = hours.to_utc(hours.end_time_for_trade_bars(local, ONE_MINUTE, minutes))
    return close_utc


def insight_close_time_for_local(
    hours: ExchangeHours, generated_utc: datetime, close_local: datetime
) -> datetime:
    """UTC close time of an insight given an absolute exchange-local close time.

    Insight.cs ``CloseTimePeriodSpecification.SetPeriodAndCloseTime``: a close time when
    the market is closed moves to the next market open; one before the generated time is
    refused.
    """
    if not hours.is_open(close_local):
        close_local = hours.next_market_open(close_local)
    close_utc = hours.to_utc(close_local)
    if generated_utc > close_utc:
        raise ValueError("Insight closeTimeLocal must not be in the past.")
    return close_utc
