"""The LEAN model against LEAN's own facts: its unit tests' numbers and its market-hours data.

Expected values cited from LEAN's test suite are LEAN's, not ours: when the model agrees
with them it computes what LEAN computes.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.lean.lean_model.algorithm_imports import (
    Insight,
    InsightDirection,
    OrderType,
    PortfolioTarget,
    QCAlgorithm,
    Resolution,
    Symbol,
)
from tests.lean.lean_model.engine import Engine
from tests.lean.lean_model.market_hours import (
    CRYPTO,
    US_EQUITY,
    insight_close_time_for_local,
    insight_close_time_for_period,
)
from tests.lean.lean_model.us_equity_calendar import EARLY_CLOSES, HOLIDAYS

NEW_YORK = US_EQUITY
SPY = Symbol("SPY")


def _utc(local: datetime) -> datetime:
    return NEW_YORK.to_utc(local)


# Tests/Algorithm/Framework/InsightTests.cs, with LEAN's expected close times.
@pytest.mark.parametrize(
    ("generated_local", "period", "expected_local"),
    [
        # ComputeCloseTimeHandlesFractionalDays: Friday 15:00 + 2.5 days -> Wednesday 11:45.
        (datetime(2018, 8, 3, 15, 0), timedelta(days=2.5), datetime(2018, 8, 8, 11, 45)),
        # ComputeCloseTimeHandlesFractionalHours: Friday 15:00 + 2.5 h -> Monday 11:00.
        (datetime(2018, 8, 3, 15, 0), timedelta(hours=2.5), datetime(2018, 8, 6, 11, 0)),
        # ComputeCloseHandlesOffsetHourOverMarketClosuresUsingTimeSpan: 15:59 + 1 h -> Mon 10:29.
        (datetime(2018, 8, 3, 15, 59), timedelta(hours=1), datetime(2018, 8, 6, 10, 29)),
    ],
)
def test_timedelta_close_times_match_leans_own_tests(
    generated_local: datetime, period: timedelta, expected_local: datetime
) -> None:
    close = insight_close_time_for_period(NEW_YORK, _utc(generated_local), period)
    assert close == _utc(expected_local)


def test_a_wall_clock_day_less_an_hour_lasts_days_in_trading_time() -> None:
    # The defect the alpha had: 23 h as a timedelta from Monday's close is 23 hours of
    # open market: three 6.5 h sessions and 3.5 h of a fourth, so it closes on Friday.
    generated = _utc(datetime(2011, 3, 7, 16, 0))
    close = insight_close_time_for_period(NEW_YORK, generated, timedelta(hours=23))
    assert NEW_YORK.from_utc(close) == datetime(2011, 3, 11, 13, 0)


def test_absolute_close_time_moves_to_the_next_open_only_when_the_market_is_closed() -> None:
    generated = _utc(datetime(2011, 3, 7, 16, 0))
    open_close = insight_close_time_for_local(NEW_YORK, generated, datetime(2011, 3, 8, 15, 0))
    assert NEW_YORK.from_utc(open_close) == datetime(2011, 3, 8, 15, 0)
    at_close = insight_close_time_for_local(NEW_YORK, generated, datetime(2011, 3, 8, 16, 0))
    assert NEW_YORK.from_utc(at_close) == datetime(2011, 3, 9, 9, 30)  # 16:00 is closed
    friday = _utc(datetime(2011, 3, 11, 16, 0))
    weekend = insight_close_time_for_local(NEW_YORK, friday, datetime(2011, 3, 12, 16, 0))
    assert NEW_YORK.from_utc(weekend) == datetime(2011, 3, 14, 9, 30)
    with pytest.raises(ValueError, match="must not be in the past"):
        insight_close_time_for_local(NEW_YORK, generated, datetime(2011, 3, 7, 10, 0))


def test_insight_price_refuses_periods_under_one_second_and_is_active_at_its_close() -> None:
    with pytest.raises(ValueError, match="1 second"):
        Insight.price(SPY, timedelta(milliseconds=999), InsightDirection.UP)
    insight = Insight.price(SPY, datetime(2011, 3, 8, 15, 0), InsightDirection.UP)
    insight._initialize(_utc(datetime(2011, 3, 8, 10, 0)), NEW_YORK)
    close = insight.close_time_utc
    assert insight.is_active(close)  # Insight.IsExpired: CloseTimeUtc < utcTime
    assert insight.is_expired(close + timedelta(microseconds=1))
    insight.cancel(close - timedelta(minutes=1))  # Insight.Cancel: one second before
    assert insight.close_time_utc == close - timedelta(minutes=1, seconds=1)


def test_market_hours_have_early_closes_holidays_and_dst() -> None:
    assert NEW_YORK.session(date(2011, 11, 25)) == (
        datetime(2011, 11, 25, 9, 30),
        datetime(2011, 11, 25, 13, 0),
    )
    assert NEW_YORK.session(date(2011, 11, 24)) is None  # Thanksgiving
    assert NEW_YORK.to_utc(datetime(2011, 1, 3, 16, 0)) == datetime(2011, 1, 3, 21, 0)
    assert NEW_YORK.to_utc(datetime(2011, 7, 1, 16, 0)) == datetime(2011, 7, 1, 20, 0)
    assert not NEW_YORK.is_open(datetime(2011, 7, 1, 16, 0))
    assert NEW_YORK.is_open(datetime(2011, 7, 1, 9, 30))
    assert CRYPTO.is_open(datetime(2011, 7, 2, 3, 0))


def test_calendar_matches_leans_market_hours_database_when_present() -> None:
    """Checked against a copy of LEAN's database when one is beside the project.

    No test needs that copy; without it only known days are checked.
    """
    database = (
        Path(__file__).resolve().parents[3]
        / "shared"
        / "lean-sample"
        / "market-hours"
        / "market-hours-database.json"
    )
    assert date(2011, 11, 25) in EARLY_CLOSES
    assert date(2011, 11, 24) in HOLIDAYS
    if not database.is_file():
        return
    entry = json.loads(database.read_text(encoding="utf-8"))["entries"]["Equity-usa-[*]"]
    assert entry["exchangeTimeZone"] == NEW_YORK.time_zone

    def parse(text: str) -> date:
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)

    assert {parse(day) for day in entry["holidays"]} == HOLIDAYS
    assert {
        parse(day): time.fromisoformat(value) for day, value in entry["earlyCloses"].items()
    } == (EARLY_CLOSES)
    market = [segment for segment in entry["monday"] if segment["state"] == "market"]
    assert (market[0]["start"], market[0]["end"]) == ("09:30:00", "16:00:00")
    crypto = json.loads(database.read_text(encoding="utf-8"))["entries"]["Crypto-binance-[*]"]
    assert crypto["exchangeTimeZone"] == CRYPTO.time_zone


def test_percent_target_keeps_the_free_buffer_and_whole_shares() -> None:
    algorithm = QCAlgorithm()
    algorithm.set_cash(100_000)
    algorithm.add_equity("SPY")
    algorithm._set_price(SPY, 333.0)
    target = PortfolioTarget.percent(algorithm, SPY, 0.5)
    assert target is not None
    # 50 % of 100,000 less the 0.25 % buffer is 49,875 -> 149 whole shares at 333.
    assert target.quantity == 149
    assert PortfolioTarget.percent(algorithm, Symbol("QQQ"), 0.5) is None


class _Probe(QCAlgorithm):
    """Logs the order of scheduled events, on_data and fills, and trades once."""

    def initialize(self) -> None:
        self.set_start_date(2011, 3, 7)
        self.set_end_date(2011, 3, 9)
        self.add_equity("SPY", Resolution.DAILY)
        spy = self.securities.keys()[0]
        self.train(
            self.date_rules.every_day(spy),
            self.time_rules.before_market_close(spy, 0),
            lambda: self.log(f"train {self.time} history={len(self.history([spy], 5))}"),
        )
        self.schedule.on(
            self.date_rules.every_day(), self.time_rules.at(12, 0), lambda: self.log("noon")
        )

    def on_data(self, slice: object) -> None:
        self.log(f"data {self.time}")
        if self.portfolio.cash == 100_000:
            self.market_order(self.securities.keys()[0], 10)

    def on_order_event(self, order_event: object) -> None:
        self.log(f"order {order_event.status.name}")  # type: ignore[attr-defined]


def _spy_bars() -> pd.DataFrame:
    days = pd.DatetimeIndex(["2011-03-04", "2011-03-07", "2011-03-08", "2011-03-09"], name="time")
    return pd.DataFrame(
        {
            "open": [10.0, 11.0, 12.0, 13.0],
            "high": [10.5, 11.5, 12.5, 13.5],
            "low": [9.5, 10.5, 11.5, 12.5],
            "close": [10.2, 11.2, 12.2, 13.2],
            "volume": [1.0, 1.0, 1.0, 1.0],
        },
        index=days,
    )


def test_slice_order_events_history_and_market_on_open_fills() -> None:
    algorithm = _Probe()
    result = Engine(algorithm, bars={"SPY": _spy_bars()}).run()
    logs = algorithm._logs
    # Slices at each close; the noon events had no slice and fire before the next one
    # (ScanPastEvents); training at the close fires before on_data (SetTime) and sees
    # the bar that just ended (history keeps EndTime <= now).
    assert logs[:5] == [
        "noon",
        "train 2011-03-07 16:00:00 history=2",
        "data 2011-03-07 16:00:00",
        "order SUBMITTED",
        "noon",
    ]
    # A market order at the close becomes market-on-open and fills at the next session's
    # open, on the next slice, before that slice's events and data.
    assert logs[5:8] == [
        "order FILLED",
        "train 2011-03-08 16:00:00 history=3",
        "data 2011-03-08 16:00:00",
    ]
    fill = result.fills[0]
    assert fill.order_type == OrderType.MARKET_ON_OPEN
    assert fill.price == 12.0
    assert fill.fee == 1.0  # InteractiveBrokersFeeModel minimum
    assert result.slices == [_utc(datetime(2011, 3, d, 16, 0)) for d in (7, 8, 9)]
