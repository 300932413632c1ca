"""The live cycle's freshness rule: complete bars only, stale assets found by the exchange calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from engines.forecast.freshness import (
    DEFAULT_STALE_TOLERANCE,
    NO_BARS,
    STALE,
    FreshnessRule,
    check_freshness,
    freshness_from_environment,
    next_bar_end,
)
from market_data.lean import bar_end_times

NEW_YORK = ZoneInfo("America/New_York")
RULE = FreshnessRule(tolerance=dt.timedelta(minutes=30))


def bars(times: list[str], *, security_type: str, resolution: str) -> pd.DataFrame:
    """A frame in the read_bars shape with the given bar start times (naive data time)."""
    index = pd.DatetimeIndex(pd.to_datetime(times), name="time")
    frame = pd.DataFrame(
        {"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=index
    )
    frame["end_time"] = bar_end_times(index, security_type=security_type, resolution=resolution)
    return frame


def new_york(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def stale_names(frames: dict[str, pd.DataFrame], now: dt.datetime, **series: str) -> list[str]:
    checked = check_freshness(
        frames,
        security_type=series["security_type"],
        resolution=series["resolution"],
        now=now,
        rule=RULE,
    )
    return sorted(item.asset for item in checked.stale)


def test_always_open_market_is_stale_after_one_bar_plus_the_tolerance() -> None:
    series = {"security_type": "crypto", "resolution": "hour"}
    frames = {"BTCUSDT": bars(["2026-01-05 09:00", "2026-01-05 10:00"], **series)}
    last_end = dt.datetime(2026, 1, 5, 11, 0, tzinfo=dt.UTC)
    limit = last_end + dt.timedelta(hours=1, minutes=30)
    assert stale_names(frames, limit, **series) == []
    assert stale_names(frames, limit + dt.timedelta(microseconds=1), **series) == ["BTCUSDT"]
    checked = check_freshness(frames, now=limit + dt.timedelta(seconds=1), rule=RULE, **series)
    (item,) = checked.stale
    assert (item.asset, item.reason) == ("BTCUSDT", STALE)
    assert item.last_bar_end == last_end
    assert item.next_bar_end == last_end + dt.timedelta(hours=1)
    assert item.limit == limit
    assert item.now == limit + dt.timedelta(seconds=1)


def test_crypto_daily_bars_end_at_midnight_utc() -> None:
    series = {"security_type": "crypto", "resolution": "daily"}
    frames = {"ETHUSDT": bars(["2026-01-03", "2026-01-04"], **series)}
    # the 2026-01-04 bar ends 2026-01-05 00:00; the next one at 2026-01-06 00:00
    assert stale_names(frames, dt.datetime(2026, 1, 6, 0, 30, tzinfo=dt.UTC), **series) == []
    assert stale_names(frames, dt.datetime(2026, 1, 6, 0, 31, tzinfo=dt.UTC), **series) == [
        "ETHUSDT"
    ]


def test_friday_daily_equity_bar_is_fresh_until_monday_close() -> None:
    series = {"security_type": "equity", "resolution": "daily"}
    frames = {"AAPL": bars(["2026-01-08", "2026-01-09"], **series)}  # Thursday, Friday
    for moment in (
        "2026-01-09T16:00",  # Friday's close
        "2026-01-10T12:00",  # Saturday
        "2026-01-11T23:00",  # Sunday
        "2026-01-12T09:00",  # Monday before the open
        "2026-01-12T16:30",  # Monday's bar due at 16:00, plus the tolerance
    ):
        assert stale_names(frames, new_york(moment), **series) == [], moment
    assert stale_names(frames, new_york("2026-01-12T16:31"), **series) == ["AAPL"]
    assert stale_names(frames, new_york("2026-01-13T10:00"), **series) == ["AAPL"]
    assert next_bar_end(
        pd.Timestamp("2026-01-09 16:00"), security_type="equity", resolution="daily"
    ) == pd.Timestamp("2026-01-12 16:00")


def test_holidays_do_not_make_the_last_session_stale() -> None:
    series = {"security_type": "equity", "resolution": "daily"}
    # Good Friday 2025-04-18 is a holiday: Thursday's bar is the last session until Monday.
    frames = {"MSFT": bars(["2025-04-16", "2025-04-17"], **series)}
    assert stale_names(frames, new_york("2025-04-18T17:00"), **series) == []
    assert stale_names(frames, new_york("2025-04-21T11:00"), **series) == []
    assert stale_names(frames, new_york("2025-04-21T17:00"), **series) == ["MSFT"]
    # 2025-07-03 closes early, 2025-07-04 is a holiday: next bar due Monday 2025-07-07.
    assert next_bar_end(
        pd.Timestamp("2025-07-03 16:00"), security_type="equity", resolution="daily"
    ) == pd.Timestamp("2025-07-07 16:00")


def test_equity_hour_bars_skip_the_closed_hours() -> None:
    series = {"security_type": "equity", "resolution": "hour"}
    frames = {"SPY": bars(["2026-01-09 14:00", "2026-01-09 15:00"], **series)}  # Friday
    assert stale_names(frames, new_york("2026-01-10T12:00"), **series) == []
    assert stale_names(frames, new_york("2026-01-12T10:30"), **series) == []  # 09:00 bar, +30 min
    assert stale_names(frames, new_york("2026-01-12T10:31"), **series) == ["SPY"]
    # an extended-hours bar a provider sent (19:00-20:00) moves the next expected bar nowhere
    late = bars(["2026-01-09 15:00", "2026-01-09 19:00"], **series)
    assert next_bar_end(
        pd.Timestamp(late["end_time"].iloc[-1]), security_type="equity", resolution="hour"
    ) == pd.Timestamp("2026-01-12 10:00")


def test_bars_not_closed_at_now_are_dropped_before_judging() -> None:
    series = {"security_type": "equity", "resolution": "daily"}
    frames = {
        "AAPL": bars(["2026-01-08", "2026-01-09", "2026-01-12"], **series),
        "MSFT": bars(["2026-01-12"], **series),
        "IBM": bars([], **series),
    }
    checked = check_freshness(frames, now=new_york("2026-01-12T11:00"), rule=RULE, **series)
    # Monday's bar is still forming at 11:00: dropped; Friday's is the latest complete one
    assert list(checked.frames["AAPL"].index) == list(pd.to_datetime(["2026-01-08", "2026-01-09"]))
    assert checked.incomplete_dropped == 2
    assert checked.fresh == ("AAPL",)
    assert {(item.asset, item.reason) for item in checked.stale} == {
        ("MSFT", NO_BARS),
        ("IBM", NO_BARS),
    }
    assert set(checked.frames) == {"AAPL"}
    assert checked.stale_assets == frozenset({"MSFT", "IBM"})


def test_rule_modes_and_environment() -> None:
    assert FreshnessRule().tolerance == DEFAULT_STALE_TOLERANCE == dt.timedelta(minutes=30)
    for source in ("database", "polygon", "binance"):
        assert FreshnessRule.for_source(source) == FreshnessRule()
    for source in ("lean", "bundled"):
        assert FreshnessRule.for_source(source) is None
        assert FreshnessRule.for_source(source, mode="on") == FreshnessRule()
    assert FreshnessRule.for_source("database", mode="off") is None
    assert freshness_from_environment(
        "database", {"ATS_FORECAST_STALE_TOLERANCE_SECONDS": "120"}
    ) == FreshnessRule(tolerance=dt.timedelta(seconds=120))
    assert (
        freshness_from_environment(
            "lean", {"ATS_FORECAST_FRESHNESS": "on", "ATS_FORECAST_STALE_TOLERANCE_SECONDS": ""}
        )
        == FreshnessRule()
    )
    assert freshness_from_environment("database", {"ATS_FORECAST_FRESHNESS": "off"}) is None
    with pytest.raises(ValueError, match="ATS_FORECAST_FRESHNESS"):
        freshness_from_environment("database", {"ATS_FORECAST_FRESHNESS": "sometimes"})
    with pytest.raises(ValueError, match="ATS_FORECAST_STALE_TOLERANCE_SECONDS"):
        freshness_from_environment("database", {"ATS_FORECAST_STALE_TOLERANCE_SECONDS": "soon"})
    with pytest.raises(ValueError, match="negative"):
        FreshnessRule(tolerance=dt.timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        check_freshness(
            {}, security_type="crypto", resolution="hour", now=dt.datetime(2026, 1, 1), rule=RULE
        )
