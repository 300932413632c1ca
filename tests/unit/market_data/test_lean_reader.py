"""Reading LEAN files: values, scaling, time zones and end times, bounds."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market_data.lean import read_bars
from tests.unit.market_data.lean_files import write_zip

EQUITY_DAILY = (
    "20131007 00:00,1674100,1680000,1661500,1673900,85000000\n"
    "20131008 00:00,1671500,1672800,1647300,1648100,157000000\n"
)


def test_equity_daily_prices_are_scaled_and_end_at_market_close(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", EQUITY_DAILY)
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="SPY", resolution="daily"
    )
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    assert bars.index.name == "time"
    assert bars.index[0] == pd.Timestamp("2013-10-07 00:00")
    assert bars.index.tz is None
    assert bars["open"].iloc[0] == pytest.approx(167.41)
    assert bars["close"].iloc[1] == pytest.approx(164.81)
    assert bars["volume"].iloc[1] == 157_000_000.0
    assert (bars.dtypes.iloc[:5] == np.float64).all()
    assert bars["end_time"].iloc[0] == pd.Timestamp("2013-10-07 16:00")


def test_equity_minute_rows_count_milliseconds_from_midnight(tmp_path: Path) -> None:
    text = "34200000,1674100,1674100,1672500,1672700,3197\n34260000,1672500,1672600,1672500,1672600,1150\n"
    write_zip(
        tmp_path / "equity/usa/minute/spy/20131007_trade.zip", "20131007_spy_minute_trade.csv", text
    )
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="spy", resolution="minute"
    )
    assert list(bars.index) == [pd.Timestamp("2013-10-07 09:30"), pd.Timestamp("2013-10-07 09:31")]
    assert bars["end_time"].iloc[0] == pd.Timestamp("2013-10-07 09:31")
    assert bars["low"].iloc[0] == pytest.approx(167.25)


def test_minute_reads_only_days_within_bounds(tmp_path: Path) -> None:
    for day in ("20131007", "20131008", "20131009"):
        write_zip(
            tmp_path / f"equity/usa/minute/spy/{day}_trade.zip",
            f"{day}_spy_minute_trade.csv",
            "34200000,10000,10000,10000,10000,1\n",
        )
    bars = read_bars(
        tmp_path,
        security_type="equity",
        market="usa",
        symbol="spy",
        resolution="minute",
        start=date(2013, 10, 8),
        end=date(2013, 10, 8),
    )
    assert list(bars.index) == [pd.Timestamp("2013-10-08 09:30")]


def test_quote_minute_columns(tmp_path: Path) -> None:
    text = "14400000,1672700,1672700,1671500,1672500,300,1680000,1680000,1672600,1672700,20000\n"
    write_zip(
        tmp_path / "equity/usa/minute/spy/20131007_quote.zip", "20131007_spy_minute_quote.csv", text
    )
    bars = read_bars(
        tmp_path,
        security_type="equity",
        market="usa",
        symbol="spy",
        resolution="minute",
        bar_type="quote",
    )
    assert bars.index[0] == pd.Timestamp("2013-10-07 04:00")
    assert bars["bid_open"].iloc[0] == pytest.approx(167.27)
    assert bars["ask_open"].iloc[0] == pytest.approx(168.0)
    assert bars["ask_size"].iloc[0] == 20000.0
    assert "volume" not in bars.columns


def test_crypto_hour_is_plain_decimals_in_utc(tmp_path: Path) -> None:
    text = (
        "20180501 00:00,9246.01,9248.99,8934.44,8955.01,5263.799551\n"
        "20180501 01:00,8955.13,9020.99,8870,8994.99,4347.876744\n"
    )
    write_zip(tmp_path / "crypto/binance/hour/btcusdt_trade.zip", "btcusdt.csv", text)
    bars = read_bars(
        tmp_path, security_type="crypto", market="binance", symbol="BTCUSDT", resolution="hour"
    )
    assert bars["open"].iloc[0] == 9246.01
    assert bars["volume"].iloc[1] == 4347.876744
    assert bars["end_time"].iloc[1] == pd.Timestamp("2018-05-01 02:00")


def test_crypto_daily_ends_at_next_midnight(tmp_path: Path) -> None:
    write_zip(
        tmp_path / "crypto/coinbase/daily/btcusd_trade.zip",
        "btcusd_trade.csv",
        "20141201 00:00,300,370,300,370,0.05655554\n",
    )
    bars = read_bars(
        tmp_path, security_type="crypto", market="coinbase", symbol="btcusd", resolution="daily"
    )
    assert bars["end_time"].iloc[0] == pd.Timestamp("2014-12-02 00:00")
    assert bars["volume"].iloc[0] == 0.05655554


def test_bounds_are_inclusive_and_dates_cover_whole_days(tmp_path: Path) -> None:
    text = "".join(f"201805{d:02d} {h:02d}:00,1,1,1,1,1\n" for d in (1, 2, 3) for h in (0, 12, 23))
    write_zip(tmp_path / "crypto/binance/hour/ethusdt_trade.zip", "ethusdt.csv", text)
    common = {
        "security_type": "crypto",
        "market": "binance",
        "symbol": "ethusdt",
        "resolution": "hour",
    }
    by_date = read_bars(tmp_path, **common, start=date(2018, 5, 2), end=date(2018, 5, 2))
    assert len(by_date) == 3
    assert by_date.index[-1] == pd.Timestamp("2018-05-02 23:00")
    by_time = read_bars(
        tmp_path, **common, start=datetime(2018, 5, 1, 12), end=datetime(2018, 5, 2, 0)
    )
    assert list(by_time.index.hour) == [12, 23, 0]


def test_empty_selection_keeps_columns_and_dtypes(tmp_path: Path) -> None:
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", EQUITY_DAILY)
    bars = read_bars(
        tmp_path,
        security_type="equity",
        market="usa",
        symbol="spy",
        resolution="daily",
        start=date(2020, 1, 1),
    )
    assert bars.empty
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    assert bars["end_time"].dtype == np.dtype("datetime64[ns]")


def test_unsorted_file_is_returned_in_time_order(tmp_path: Path) -> None:
    lines = EQUITY_DAILY.splitlines()
    write_zip(tmp_path / "equity/usa/daily/spy.zip", "spy.csv", "\n".join(reversed(lines)) + "\n")
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="spy", resolution="daily"
    )
    assert bars.index.is_monotonic_increasing
    assert bars["open"].iloc[0] == pytest.approx(167.41)


def test_empty_file_reads_as_no_bars(tmp_path: Path) -> None:
    write_zip(tmp_path / "crypto/binance/daily/ethusdt_trade.zip", "ethusdt.csv", "")
    bars = read_bars(
        tmp_path, security_type="crypto", market="binance", symbol="ethusdt", resolution="daily"
    )
    assert bars.empty
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "end_time"]
