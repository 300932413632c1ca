"""A local Binance stand-in, feeds pointing at it, and readers of both stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from backend.market.models import Bar, Feed
from backend.market.services import feed_create
from backend.market.tasks import ingest_feed
from market_data.lean import SeriesKey, read_bars
from tests.unit.market_data.ingest.fake_exchange import FakeBinance, hourly_klines
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request

START = "2024-05-01"


def at(text: str) -> datetime:
    """An aware UTC moment."""
    return pd.Timestamp(text).tz_localize("UTC").to_pydatetime()


def hours(*stamps: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(f"2024-05-01 {stamp}") for stamp in stamps]


@dataclass
class Exchange:
    """The stand-in and what the test changes on it."""

    binance: FakeBinance
    server: RecordedServer
    data_folder: Path
    failing_symbols: set[str]

    def respond(self, request: Request) -> Reply:
        if request.query.get("symbol") in self.failing_symbols:
            return Reply(502, raw=b"bad gateway")
        return self.binance(request)

    def run(self, name: str, now: datetime) -> dict[str, Any]:
        """The Celery task, run as beat would start it (eagerly in the test settings)."""
        result: dict[str, Any] = ingest_feed.delay(name, now=now.isoformat()).get()
        return result

    def lean(self, symbol: str = "btcusdt", resolution: str = "hour") -> pd.DataFrame:
        return read_bars(
            self.data_folder,
            security_type="crypto",
            market="binance",
            symbol=symbol,
            resolution=resolution,
        )


@pytest.fixture
def exchange(settings: Any, tmp_path: Path) -> Iterator[Exchange]:
    binance = FakeBinance(hourly_klines(START, 6), symbols=("BTCUSDT", "ETHUSDT"))
    holder: dict[str, Exchange] = {}
    with RecordedServer(lambda request: holder["exchange"].respond(request)).running() as server:
        holder["exchange"] = Exchange(binance, server, tmp_path / "data", set())
        settings.MARKET_FEED_BASE_URLS = {"binance": server.base_url}
        settings.MARKET_DATA_FOLDER = str(tmp_path / "data")
        settings.MARKET_FEED_RETRY_ATTEMPTS = 1
        settings.MARKET_FEED_RATE_LIMIT = False
        yield holder["exchange"]


def make_feed(
    name: str = "binance-test", symbols: tuple[str, ...] = ("BTCUSDT",), **values: Any
) -> Feed:
    return feed_create(
        actor="test",
        values={
            "name": name,
            "source": "ccxt",
            "exchange": "binance",
            "symbols": list(symbols),
            "resolution": "hour",
            "start": pd.Timestamp(START).date(),
            **values,
        },
        today=pd.Timestamp("2024-06-01").date(),
    )


def table(symbol: str = "BTCUSDT", interval: str = "1h") -> pd.DataFrame:
    """The bar table's rows of a Binance series: start (naive UTC) -> values."""
    rows = Bar.objects.filter(
        security_type="crypto", market="binance", asset=symbol, interval=interval
    ).values("start", "timestamp", "open", "high", "low", "close", "volume")
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return frame
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.tz_localize(None)
    return frame.set_index("start").sort_index()


SERIES = SeriesKey("crypto", "binance", "btcusdt", "hour")
