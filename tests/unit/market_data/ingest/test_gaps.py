"""find_gaps and the exchange calendars: closed days are never gaps."""

from __future__ import annotations

from datetime import date, time

import pandas as pd

from market_data.ingest import CRYPTO, US_EQUITY, Gap, find_gaps
from market_data.ingest.us_equity_calendar import EARLY_CLOSES, HOLIDAYS
from market_data.lean import SeriesKey

EQUITY_DAILY = SeriesKey("equity", "usa", "spy", "daily")
EQUITY_HOUR = SeriesKey("equity", "usa", "spy", "hour")
EQUITY_MINUTE = SeriesKey("equity", "usa", "spy", "minute")
CRYPTO_HOUR = SeriesKey("crypto", "binance", "btcusdt", "hour")


def test_weekends_and_holidays_are_not_equity_gaps() -> None:
    # 2023-12-22 (Fri) .. 2024-01-02 (Tue): Christmas and New Year's Day are holidays
    trading = ["2023-12-22", "2023-12-26", "2023-12-27", "2023-12-28", "2023-12-29", "2024-01-02"]
    assert find_gaps(pd.DatetimeIndex(trading), EQUITY_DAILY) == []
    without_friday = [day for day in trading if day != "2023-12-29"]
    assert find_gaps(pd.DatetimeIndex(without_friday), EQUITY_DAILY) == [
        Gap(pd.Timestamp("2023-12-29"), pd.Timestamp("2023-12-29"), 1)
    ]


def test_missing_days_across_a_weekend_form_one_gap() -> None:
    times = pd.DatetimeIndex(["2024-04-25", "2024-05-01"])  # Thu .. Wed
    assert find_gaps(times, EQUITY_DAILY) == [
        Gap(pd.Timestamp("2024-04-26"), pd.Timestamp("2024-04-30"), 3)  # Fri, Mon, Tue
    ]


def test_equity_hours_follow_the_session_and_early_closes() -> None:
    # 2013-11-27 full day (09:00..15:00 bars), 11-28 Thanksgiving, 11-29 closes at 13:00
    full = pd.date_range("2013-11-27 09:00", periods=7, freq="h")
    early = pd.date_range("2013-11-29 09:00", periods=4, freq="h")
    monday = pd.date_range("2013-12-02 09:00", periods=7, freq="h")
    stored = full.append(early).append(monday)
    assert find_gaps(stored, EQUITY_HOUR) == []
    assert find_gaps(stored.delete(8), EQUITY_HOUR) == [
        Gap(pd.Timestamp("2013-11-29 10:00"), pd.Timestamp("2013-11-29 10:00"), 1)
    ]
    expected = US_EQUITY.expected_bar_times("hour", full[0], monday[-1])
    assert expected.equals(stored)


def test_equity_minutes_cover_the_regular_session_only() -> None:
    session = pd.date_range("2013-10-07 09:30", "2013-10-07 15:59", freq="min")
    extended = pd.date_range("2013-10-07 04:00", "2013-10-07 19:59", freq="min")
    assert len(session) == 390
    assert find_gaps(extended, EQUITY_MINUTE) == []
    assert find_gaps(session.delete([100, 101]), EQUITY_MINUTE) == [
        Gap(session[100], session[101], 2)
    ]
    next_day = pd.date_range("2013-10-08 09:30", "2013-10-08 15:59", freq="min")
    assert find_gaps(session.append(next_day), EQUITY_MINUTE) == []  # the night is no gap


def test_every_crypto_bar_is_expected() -> None:
    stored = pd.date_range("2024-05-04 00:00", periods=48, freq="h")  # a weekend
    assert find_gaps(stored, CRYPTO_HOUR) == []
    holed = stored.delete([5, 6, 7, 30])
    assert find_gaps(holed, CRYPTO_HOUR) == [
        Gap(stored[5], stored[7], 3),
        Gap(stored[30], stored[30], 1),
    ]
    outer = find_gaps(holed, CRYPTO_HOUR, start=stored[0] - pd.Timedelta(hours=2))
    assert outer[0] == Gap(stored[0] - pd.Timedelta(hours=2), stored[0] - pd.Timedelta(hours=1), 2)
    assert CRYPTO.is_trading_day(date(2024, 5, 4))


def test_the_calendar_knows_lean_s_holidays_and_early_closes() -> None:
    assert date(2011, 11, 24) in HOLIDAYS
    assert EARLY_CLOSES[date(2011, 11, 25)] == time(13, 0)
    assert US_EQUITY.session(date(2011, 11, 25)) is not None
    assert US_EQUITY.early_closes[date(2011, 11, 25)] == time(13, 0)
    assert not US_EQUITY.is_trading_day(date(2011, 11, 24))
