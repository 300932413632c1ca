"""plan_window: first loads, overlap, and the closed-bar cut."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from market_data.ingest import plan_window
from market_data.lean import SeriesKey

CRYPTO_HOUR = SeriesKey("crypto", "binance", "btcusdt", "hour")
CRYPTO_MINUTE = SeriesKey("crypto", "binance", "btcusdt", "minute")
EQUITY_DAILY = SeriesKey("equity", "usa", "spy", "daily")


def test_first_load_starts_at_the_configured_start_and_ends_at_the_forming_bar() -> None:
    window = plan_window(
        CRYPTO_HOUR,
        last_bar_time=None,
        now=datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
        start="2024-04-01",
    )
    assert window.first_load
    assert window.start == pd.Timestamp("2024-04-01")
    assert window.end == pd.Timestamp("2024-05-01 10:00")  # the 10:00 bar is forming


def test_incremental_window_overlaps_the_last_stored_bars() -> None:
    now = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # exactly at a boundary: 09:00 has closed
    last = pd.Timestamp("2024-05-01 06:00")
    window = plan_window(CRYPTO_HOUR, last_bar_time=last, now=now, start="2024-01-01")
    assert (window.start, window.end) == (
        pd.Timestamp("2024-05-01 04:00"),
        pd.Timestamp(now.replace(tzinfo=None)),
    )
    assert not window.first_load
    exact = plan_window(CRYPTO_HOUR, last_bar_time=last, now=now, start="2024-01-01", overlap=0)
    assert exact.start == pd.Timestamp("2024-05-01 07:00")
    clamped = plan_window(CRYPTO_HOUR, last_bar_time=last, now=now, start="2024-05-01 05:00")
    assert clamped.start == pd.Timestamp("2024-05-01 05:00")


def test_nothing_to_fetch_when_no_bar_closed_since() -> None:
    now = datetime(2024, 5, 1, 10, 0, 59, tzinfo=UTC)
    window = plan_window(
        CRYPTO_MINUTE,
        last_bar_time=pd.Timestamp("2024-05-01 09:59"),
        now=now,
        start="2024-01-01",
        overlap=0,
    )
    assert window.is_empty


def test_equity_daily_bar_is_closed_only_after_four_new_york() -> None:
    last = pd.Timestamp("2024-04-29")
    before = plan_window(
        EQUITY_DAILY,
        last_bar_time=last,
        now=datetime(2024, 5, 1, 19, 59, tzinfo=UTC),  # 15:59 New York
        start="2024-01-01",
        overlap=1,
    )
    assert (before.start, before.end) == (pd.Timestamp("2024-04-29"), pd.Timestamp("2024-05-01"))
    after = plan_window(
        EQUITY_DAILY,
        last_bar_time=last,
        now=datetime(2024, 5, 1, 20, 0, tzinfo=UTC),
        start="2024-01-01",
        overlap=1,
    )
    assert after.end == pd.Timestamp("2024-05-02")


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        plan_window(
            CRYPTO_HOUR,
            last_bar_time=None,
            now=datetime(2024, 5, 1, tzinfo=UTC),
            start="2024-01-01",
            overlap=-1,
        )
    with pytest.raises(ValueError, match="aware"):
        plan_window(CRYPTO_HOUR, last_bar_time=None, now=datetime(2024, 5, 1), start="2024-01-01")
