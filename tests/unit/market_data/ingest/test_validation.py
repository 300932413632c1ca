"""validate_bars: each refusal reason, and the rest of the batch accepted."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pandas as pd

from market_data.ingest import RefusalReason, validate_bars
from market_data.lean import SeriesKey

CRYPTO_HOUR = SeriesKey("crypto", "binance", "btcusdt", "hour")
EQUITY_DAILY = SeriesKey("equity", "usa", "spy", "daily")
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def frame(rows: list[tuple[str, float, float, float, float, float]]) -> pd.DataFrame:
    index = pd.DatetimeIndex([pd.Timestamp(r[0]) for r in rows], name="time")
    return pd.DataFrame(
        [r[1:] for r in rows], columns=["open", "high", "low", "close", "volume"], index=index
    )


def test_every_reason_is_refused_and_the_rest_accepted() -> None:
    bars = frame(
        [
            ("2024-05-01 00:00", 10, 11, 9, 10.5, 5),  # good
            ("2024-05-01 01:00", 10, 11, math.nan, 10.5, 5),  # missing low
            ("2024-05-01 02:00", 10, math.inf, 9, 10.5, 5),  # infinite high
            ("2024-05-01 03:00", 0, 11, 9, 10.5, 5),  # zero open
            ("2024-05-01 04:00", 10, 11, 9, 10.5, -1),  # negative volume
            ("2024-05-01 05:00", 10, 9, 11, 10, 5),  # high below low
            ("2024-05-01 06:00", 12, 11, 9, 10.5, 5),  # open above high
            ("2024-05-01 07:30", 10, 11, 9, 10.5, 5),  # off the hour grid
            ("2024-05-01 08:00", 10, 11, 9, 10.5, 5),  # good
            ("2024-05-01 09:00", 10, 11, 9, 10.5, 5),  # identical copy below: one kept
            ("2024-05-01 09:00", 10, 11, 9, 10.5, 5),
            ("2024-05-01 10:00", 10, 11, 9, 10.5, 5),  # conflicting copies: none kept
            ("2024-05-01 10:00", 10, 11, 9, 10.6, 5),
            ("2024-05-01 12:00", 10, 11, 9, 10.5, 5),  # ends 13:00, after now
        ]
    )
    result = validate_bars(bars, CRYPTO_HOUR, now=NOW)
    assert list(result.accepted.index.hour) == [0, 8, 9]
    assert list(result.accepted.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    assert (result.accepted["end_time"] == result.accepted.index + pd.Timedelta(hours=1)).all()
    assert result.counts == {
        "missing_field": 1,
        "bad_price": 2,
        "negative_volume": 1,
        "inconsistent_range": 2,
        "off_grid": 1,
        "duplicate_time": 3,
        "not_closed": 1,
    }
    by_time = {(bar.time, bar.reason) for bar in result.refused}
    assert (pd.Timestamp("2024-05-01 05:00"), RefusalReason.INCONSISTENT_RANGE) in by_time
    missing = next(b for b in result.refused if b.reason is RefusalReason.MISSING_FIELD)
    assert missing.message == "btcusdt hour bar at 2024-05-01 01:00:00 lacks low"
    assert math.isnan(missing.values["low"])
    assert missing.values["open"] == 10
    forming = next(b for b in result.refused if b.reason is RefusalReason.NOT_CLOSED)
    assert "closes at 2024-05-01 13:00:00" in forming.message


def test_absent_columns_and_times_are_missing_fields() -> None:
    bars = frame([("2024-05-01 00:00", 10, 11, 9, 10.5, 5)]).drop(columns=["volume"])
    bars.index = pd.DatetimeIndex([pd.NaT], name="time")
    result = validate_bars(bars, CRYPTO_HOUR, now=NOW)
    assert result.accepted.empty
    assert result.refused[0].time is None
    assert result.refused[0].message.endswith("lacks time, volume")


def test_equity_daily_bars_close_at_four_new_york_and_start_at_midnight() -> None:
    bars = frame(
        [
            ("2024-04-30", 10, 11, 9, 10.5, 5),
            ("2024-05-01 09:30", 10, 11, 9, 10.5, 5),  # daily bars start at midnight
            ("2024-05-01", 10, 11, 9, 10.5, 5),  # closes 16:00 New York = 20:00 UTC
        ]
    )
    before_close = validate_bars(bars, EQUITY_DAILY, now=datetime(2024, 5, 1, 19, 59, tzinfo=UTC))
    assert before_close.counts == {"off_grid": 1, "not_closed": 1}
    assert "daily bars start at midnight" in before_close.refused[0].message
    after_close = validate_bars(bars, EQUITY_DAILY, now=datetime(2024, 5, 1, 20, 0, tzinfo=UTC))
    assert list(after_close.accepted.index.day) == [30, 1]
    assert after_close.accepted["end_time"].iloc[1] == pd.Timestamp("2024-05-01 16:00")


def test_aware_times_are_converted_to_data_time() -> None:
    bars = frame([("2024-05-01 13:00", 10, 11, 9, 10.5, 5)])
    bars.index = bars.index.tz_localize("America/New_York")
    result = validate_bars(bars, CRYPTO_HOUR, now=datetime(2024, 5, 2, tzinfo=UTC))
    assert list(result.accepted.index) == [pd.Timestamp("2024-05-01 17:00")]
