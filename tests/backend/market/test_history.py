"""load_bars_from_database returns what read_bars returns for the folder the same ingestion wrote."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from backend.market.bar_store import DatabaseBarStore
from backend.market.history import load_bars_from_database
from backend.market.ingestion import TableAndFolderStore
from engines.forecast.sources import BarRequest
from market_data.ingest import LeanFolderStore, ingest
from market_data.lean import SeriesKey, read_bars
from tests.backend.market.feed_support import Exchange, at, make_feed

pytestmark = pytest.mark.django_db


def request(**values: object) -> BarRequest:
    fields: dict[str, object] = {
        "source": "lean",
        "data_folder": Path("unused"),
        "security_type": "crypto",
        "market": "binance",
        "resolution": "hour",
        "symbols": ("BTCUSDT", "ETHUSDT"),
    }
    return BarRequest(**(fields | values))  # type: ignore[arg-type]


def test_crypto_history_equals_the_lean_folder(exchange: Exchange) -> None:
    make_feed(symbols=("BTCUSDT", "ETHUSDT"))
    exchange.run("binance-test", at("2024-05-01 05:30"))
    frames = load_bars_from_database(request(), now=at("2024-05-02 00:00"))
    assert list(frames) == ["BTCUSDT", "ETHUSDT"]
    for symbol, frame in frames.items():
        pd.testing.assert_frame_equal(frame, exchange.lean(symbol.lower()))
        assert len(frame) == 5
    # up to an end, over the last day before it
    end = pd.Timestamp("2024-05-01 02:00")
    [frame] = load_bars_from_database(
        request(symbols=("btcusdt",), end=end, history_days=1), now=at("2024-05-03 00:00")
    ).values()
    lean = read_bars(
        exchange.data_folder,
        security_type="crypto",
        market="binance",
        symbol="btcusdt",
        resolution="hour",
        end=end,
    )
    pd.testing.assert_frame_equal(frame, lean.loc[lean.index <= end])
    # the window: history_days before now
    [recent] = load_bars_from_database(
        request(symbols=("BTCUSDT",), history_days=1), now=at("2024-05-02 02:30")
    ).values()
    assert list(recent.index) == [
        pd.Timestamp("2024-05-01 03:00"),
        pd.Timestamp("2024-05-01 04:00"),
    ]


def test_unknown_symbols_get_an_empty_frame_of_the_shape() -> None:
    [frame] = load_bars_from_database(request(symbols=("NOPE",)), now=at("2024-05-02")).values()
    assert frame.empty
    assert list(frame.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    assert frame.index.name == "time"


def equity_days(series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Daily bars with prices that are not whole deci-cents (as a provider sends them)."""
    days = pd.bdate_range("2024-04-01", "2024-04-30")
    days = days[(days >= start) & (days < end)]
    prices = 170.123456 + np.arange(len(days), dtype=np.float64) * 0.333333
    frame = pd.DataFrame(
        {
            "open": prices,
            "high": prices + 1.000049,
            "low": prices - 0.999951,
            "close": prices + 0.5,
            "volume": 1_000_000.4 + np.arange(len(days)),
        },
        index=pd.DatetimeIndex(days, name="time"),
    )
    return frame


def test_equity_history_equals_the_lean_folder(tmp_path: Path) -> None:
    series = SeriesKey("equity", "usa", "aapl", "daily")
    store = TableAndFolderStore(DatabaseBarStore(source="test"), LeanFolderStore(tmp_path))
    now = at("2024-04-30 22:00")  # after the 16:00 New York close of the 30th
    report = ingest(series, equity_days, store, now=now, start="2024-04-01")
    assert report.stored == 22
    [frame] = load_bars_from_database(
        request(security_type="equity", market="usa", resolution="daily", symbols=("AAPL",)),
        now=now,
    ).values()
    lean = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="aapl", resolution="daily"
    )
    pd.testing.assert_frame_equal(frame, lean)
    assert frame["end_time"].iloc[0] == pd.Timestamp("2024-04-01 16:00")
