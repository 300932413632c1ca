"""Writing LEAN files: exact text and names, merging, and refusing bad frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from market_data.lean import LeanDataError, read_bars, write_bars
from tests.unit.market_data.lean_files import read_zip


def _bars(times: list[str], *, start_price: float = 100.0) -> pd.DataFrame:
    prices = start_price + np.arange(len(times), dtype=np.float64)
    return pd.DataFrame(
        {
            "open": prices,
            "high": prices + 1,
            "low": prices - 1,
            "close": prices + 0.5,
            "volume": np.full(len(times), 1000.0),
        },
        index=pd.DatetimeIndex(pd.to_datetime(times), name="time"),
    )


def test_equity_daily_text_and_names(tmp_path: Path) -> None:
    bars = pd.DataFrame(
        {
            "open": [167.41],
            "high": [168.0],
            "low": [166.15],
            "close": [167.39],
            "volume": [85_000_000.0],
        },
        index=pd.DatetimeIndex([pd.Timestamp("2013-10-07")], name="time"),
    )
    paths = write_bars(
        tmp_path, bars, security_type="equity", market="usa", symbol="SPY", resolution="daily"
    )
    assert paths == [tmp_path / "equity/usa/daily/spy.zip"]
    names, text = read_zip(paths[0])
    assert names == ["spy.csv"]
    assert text == "20131007 00:00,1674100,1680000,1661500,1673900,85000000\n"


def test_equity_minute_splits_into_one_zip_per_day(tmp_path: Path) -> None:
    bars = _bars(["2013-10-07 09:30", "2013-10-07 15:59", "2013-10-08 09:30"])
    paths = write_bars(
        tmp_path, bars, security_type="equity", market="usa", symbol="spy", resolution="minute"
    )
    assert paths == [
        tmp_path / "equity/usa/minute/spy/20131007_trade.zip",
        tmp_path / "equity/usa/minute/spy/20131008_trade.zip",
    ]
    names, text = read_zip(paths[0])
    assert names == ["20131007_spy_minute_trade.csv"]
    assert text.splitlines() == [
        "34200000,1000000,1010000,990000,1005000,1000",
        "57540000,1010000,1020000,1000000,1015000,1000",
    ]


def test_crypto_hour_names_and_plain_decimals(tmp_path: Path) -> None:
    bars = pd.DataFrame(
        {
            "open": [9246.01],
            "high": [9248.99],
            "low": [0.00001],
            "close": [8955.0],
            "volume": [5263.799551],
        },
        index=pd.DatetimeIndex([pd.Timestamp("2018-05-01 00:00")], name="time"),
    )
    paths = write_bars(
        tmp_path,
        bars,
        security_type="crypto",
        market="binance",
        symbol="BTCUSDT",
        resolution="hour",
    )
    assert paths == [tmp_path / "crypto/binance/hour/btcusdt_trade.zip"]
    names, text = read_zip(paths[0])
    assert names == ["btcusdt.csv"]
    assert text == "20180501 00:00,9246.01,9248.99,0.00001,8955,5263.799551\n"


def test_quote_bars_are_written_to_quote_files(tmp_path: Path) -> None:
    quotes = pd.DataFrame(
        {
            "bid_open": [1.5],
            "bid_high": [1.6],
            "bid_low": [1.4],
            "bid_close": [1.55],
            "bid_size": [3.0],
            "ask_open": [np.nan],
            "ask_high": [np.nan],
            "ask_low": [np.nan],
            "ask_close": [np.nan],
            "ask_size": [0.0],
        },
        index=pd.DatetimeIndex([pd.Timestamp("2018-05-01 00:01")], name="time"),
    )
    paths = write_bars(
        tmp_path,
        quotes,
        security_type="crypto",
        market="binance",
        symbol="ethbtc",
        resolution="minute",
    )
    assert paths == [tmp_path / "crypto/binance/minute/ethbtc/20180501_quote.zip"]
    assert read_zip(paths[0]) == (
        ["20180501_ethbtc_minute_quote.csv"],
        "60000,1.5,1.6,1.4,1.55,3,,,,,0\n",
    )
    back = read_bars(
        tmp_path,
        security_type="crypto",
        market="binance",
        symbol="ethbtc",
        resolution="minute",
        bar_type="quote",
    )
    pd.testing.assert_frame_equal(back.drop(columns="end_time"), quotes)


def test_merge_keeps_old_bars_and_replaces_same_times(tmp_path: Path) -> None:
    common = {"security_type": "equity", "market": "usa", "symbol": "aapl", "resolution": "daily"}
    write_bars(tmp_path, _bars(["2020-01-02", "2020-01-03", "2020-01-06"]), **common)
    write_bars(tmp_path, _bars(["2020-01-06", "2020-01-07"], start_price=200.0), **common)
    back = read_bars(tmp_path, **common)
    assert list(back.index.strftime("%Y-%m-%d")) == [
        "2020-01-02",
        "2020-01-03",
        "2020-01-06",
        "2020-01-07",
    ]
    assert back["open"].tolist() == [100.0, 101.0, 200.0, 201.0]


def test_merge_per_day_for_minute_files(tmp_path: Path) -> None:
    common = {
        "security_type": "crypto",
        "market": "binance",
        "symbol": "btcusdt",
        "resolution": "minute",
    }
    write_bars(tmp_path, _bars(["2020-01-02 00:00", "2020-01-02 00:01"]), **common)
    write_bars(
        tmp_path, _bars(["2020-01-02 00:01", "2020-01-02 00:02"], start_price=50.0), **common
    )
    back = read_bars(tmp_path, **common)
    assert back["open"].tolist() == [100.0, 50.0, 51.0]


def test_aware_times_are_converted_to_data_time_zone(tmp_path: Path) -> None:
    utc = _bars(["2020-01-02 14:30"])
    utc.index = utc.index.tz_localize("UTC")
    write_bars(
        tmp_path, utc, security_type="equity", market="usa", symbol="spy", resolution="minute"
    )
    back = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="spy", resolution="minute"
    )
    assert back.index[0] == pd.Timestamp("2020-01-02 09:30")


def test_empty_frame_writes_nothing(tmp_path: Path) -> None:
    paths = write_bars(
        tmp_path, _bars([]), security_type="equity", market="usa", symbol="spy", resolution="daily"
    )
    assert paths == []
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.drop(columns="volume"), "lack columns: volume"),
        (lambda b: b.assign(close=[np.nan, 1.0]), "close at 2020-01-02 00:00:00 is nan"),
        (lambda b: b.assign(volume=[-1.0, 1.0]), "volume at 2020-01-02 00:00:00 is -1.0"),
        (lambda b: b.assign(open=["a", "b"]), "non-numeric values"),
        (lambda b: b.set_axis(pd.DatetimeIndex(["2020-01-02", "2020-01-02"])), "appears twice"),
        (
            lambda b: b.set_axis(pd.DatetimeIndex(["2020-01-02 10:00", "2020-01-03"])),
            "not on a daily boundary",
        ),
        (lambda b: b.reset_index(drop=True), "need a DatetimeIndex"),
    ],
)
def test_bad_frames_are_refused_and_nothing_is_lost(
    tmp_path: Path, change: object, message: str
) -> None:
    common = {"security_type": "equity", "market": "usa", "symbol": "spy", "resolution": "daily"}
    write_bars(tmp_path, _bars(["2019-12-31"]), **common)
    before = read_zip(tmp_path / "equity/usa/daily/spy.zip")
    bad = change(_bars(["2020-01-02", "2020-01-03"]))  # type: ignore[operator]
    with pytest.raises(LeanDataError, match=message):
        write_bars(tmp_path, bad, **common)
    assert read_zip(tmp_path / "equity/usa/daily/spy.zip") == before
    assert sorted(p.name for p in (tmp_path / "equity/usa/daily").iterdir()) == ["spy.zip"]


def test_the_same_bars_always_give_the_same_bytes(tmp_path: Path) -> None:
    # zip entries carry a modification time; a fixed one keeps a rewrite of the same bars
    # (an ingestion's overlap) byte-identical whenever it happens
    import zipfile

    from market_data.lean_format.archive import ENTRY_TIME, write_entry

    path = tmp_path / "spy.zip"
    write_entry(path, "spy.csv", "20131007 00:00,1,2,3,4,5\n")
    with zipfile.ZipFile(path) as archive:
        assert archive.infolist()[0].date_time == ENTRY_TIME
    first = path.read_bytes()
    write_entry(path, "spy.csv", "20131007 00:00,1,2,3,4,5\n")
    assert path.read_bytes() == first
