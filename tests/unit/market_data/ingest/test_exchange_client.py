"""ExchangeClient (CCXT) against a local server answering like Binance's REST API."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from market_data.providers import (
    MalformedResponseError,
    ProviderUnavailableError,
    RateLimitedError,
    RetryConfig,
    UnknownSymbolError,
)
from market_data.providers.binance import BinanceClient, BinanceClientConfig
from market_data.providers.exchange import ExchangeClient, ExchangeClientConfig
from tests.unit.market_data.ingest.fake_exchange import (
    HOUR_MS,
    FakeBinance,
    hourly_klines,
    milliseconds,
)
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, scripted

NOW = datetime(2024, 5, 2, tzinfo=UTC)


def make_client(
    server: RecordedServer,
    sleeps: list[float],
    *,
    now: datetime = NOW,
    page_limit: int = 2,
    **retry: Any,
) -> ExchangeClient:
    config = ExchangeClientConfig(
        base_url=server.base_url,
        page_limit=page_limit,
        enable_rate_limit=False,
        retry=RetryConfig(**({"max_attempts": 3, "base_delay_seconds": 0.5} | retry)),
    )
    return ExchangeClient(config, sleep=sleeps.append, clock=lambda: now)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def exchange() -> FakeBinance:
    return FakeBinance(hourly_klines("2024-05-01", 5))


@pytest.fixture
def server(exchange: FakeBinance) -> Iterator[RecordedServer]:
    with RecordedServer(exchange).running() as running:
        yield running


def test_pages_with_since_and_limit_into_the_binance_client_shape(
    server: RecordedServer, exchange: FakeBinance, sleeps: list[float]
) -> None:
    with make_client(server, sleeps) as client:
        bars = client.fetch_ohlcv("BTC/USDT", "1h", "2024-05-01", "2024-05-02")
    start = milliseconds("2024-05-01")
    assert [r.query["startTime"] for r in exchange.kline_requests] == [
        str(start),
        str(start + 2 * HOUR_MS),
        str(start + 4 * HOUR_MS),
        str(start + 5 * HOUR_MS),  # the empty page that ends the paging
    ]
    assert {r.query["limit"] for r in exchange.kline_requests} == {"2"}
    assert all(r.query["symbol"] == "BTCUSDT" for r in exchange.kline_requests)
    # one exchangeInfo request: Binance loads only its spot markets
    assert [r.path for r in server.requests].count("/api/v3/exchangeInfo") == 1
    config = BinanceClientConfig(base_url=server.base_url, requests_per_second=math.inf)
    with BinanceClient(config, clock=lambda: NOW) as binance:
        expected = binance.fetch_klines("BTCUSDT", "1h", "2024-05-01", "2024-05-02")
    pd.testing.assert_frame_equal(bars, expected)
    assert list(bars.index) == list(pd.date_range("2024-05-01", periods=5, freq="h"))
    assert bars.index.name == "time"
    assert bars.index.tz is None
    assert sleeps == []


def test_range_is_half_open_and_accepts_lean_tickers(
    server: RecordedServer, sleeps: list[float]
) -> None:
    with make_client(server, sleeps, page_limit=1000) as client:
        bars = client.fetch_ohlcv("btcusdt", "1h", "2024-05-01T01:00", "2024-05-01T03:00")
        assert client.resolve_symbol("ETHUSDT") == "ETH/USDT"
    assert list(bars.index.hour) == [1, 2]


def test_the_forming_bar_is_dropped(
    server: RecordedServer, exchange: FakeBinance, sleeps: list[float]
) -> None:
    now = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)  # the 04:00 bar is still forming
    with make_client(server, sleeps, now=now) as client:
        closed = client.fetch_ohlcv("BTC/USDT", "1h", "2024-05-01", "2024-05-02")
        everything = client.fetch_ohlcv(
            "BTC/USDT", "1h", "2024-05-01", "2024-05-02", complete_only=False
        )
    assert list(closed.index.hour) == [0, 1, 2, 3]
    assert len(everything) == 5
    assert (closed["end_time"] <= pd.Timestamp("2024-05-01 04:30")).all()


def test_a_missing_value_becomes_nan_for_validation_to_refuse(
    server: RecordedServer, exchange: FakeBinance, sleeps: list[float]
) -> None:
    first = milliseconds("2024-05-01")
    exchange.klines[first][3] = None  # low
    with make_client(server, sleeps) as client:
        bars = client.fetch_ohlcv("BTC/USDT", "1h", "2024-05-01", "2024-05-02")
    assert math.isnan(bars["low"].iloc[0])
    assert len(bars) == 5


def test_unknown_symbols_fail_typed_without_retries(
    server: RecordedServer, exchange: FakeBinance, sleeps: list[float]
) -> None:
    with make_client(server, sleeps) as client:
        with pytest.raises(UnknownSymbolError, match="NOPE"):
            client.fetch_ohlcv("NOPE/USDT", "1h", "2024-05-01", "2024-05-02")
        exchange.symbols = frozenset()  # listed in exchangeInfo but refused: -1121
        with pytest.raises(UnknownSymbolError, match="-1121"):
            client.fetch_ohlcv("BTC/USDT", "1h", "2024-05-01", "2024-05-02")
    assert len(exchange.kline_requests) == 1
    assert sleeps == []


def fetch_day(responder: Any, sleeps: list[float], **retry: Any) -> pd.DataFrame:
    """Serve ``responder`` for klines (exchangeInfo from the fake) and fetch one day."""
    markets = FakeBinance({})

    def route(request: Request) -> Reply:
        if request.path == "/api/v3/exchangeInfo":
            return markets(request)
        answer: Reply = responder(request)
        return answer

    with (
        RecordedServer(route).running() as server,
        make_client(server, sleeps, page_limit=1000, **retry) as client,
    ):
        return client.fetch_ohlcv("BTC/USDT", "1h", "2024-05-01", "2024-05-02")


def test_rate_limits_honour_retry_after_and_server_errors_back_off() -> None:
    exchange = FakeBinance(hourly_klines("2024-05-01", 5))
    too_many = Reply(
        429, {"code": -1003, "msg": "Too many requests."}, headers={"Retry-After": "7"}
    )
    sleeps: list[float] = []
    bars = fetch_day(
        scripted(too_many, Reply(503, raw=b"busy"), Reply(502, raw=b"gateway"), exchange),
        sleeps,
        max_attempts=4,
    )
    assert sleeps == [7.0, 1.0, 2.0]  # Retry-After, then backoff after attempts 2 and 3
    assert len(bars) == 5
    assert not bars.index.has_duplicates


def test_a_cut_or_broken_response_is_retried() -> None:
    exchange = FakeBinance(hourly_klines("2024-05-01", 5))
    sleeps: list[float] = []
    bars = fetch_day(
        scripted(Reply(200, raw=b"[[1714521600000,"), Reply(200, cut_after_bytes=10), exchange),
        sleeps,
    )
    assert sleeps == [0.5, 1.0]
    assert len(bars) == 5


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Reply(503, raw=b"busy"), ProviderUnavailableError),
        (Reply(418, {"code": -1003, "msg": "banned"}), RateLimitedError),
        (Reply(200, raw=b"not json"), MalformedResponseError),
    ],
)
def test_persistent_failures_give_up_typed(reply: Reply, error: type[Exception]) -> None:
    sleeps: list[float] = []
    with pytest.raises(error, match="gave up after 3 attempt"):
        fetch_day(scripted(reply), sleeps)
    assert sleeps == [0.5, 1.0]


def test_a_retry_after_beyond_the_cap_fails_at_once() -> None:
    sleeps: list[float] = []
    too_long = Reply(429, {"code": -1003, "msg": "wait"}, headers={"Retry-After": "600"})
    with pytest.raises(RateLimitedError, match="Retry-After 600s exceeds"):
        fetch_day(scripted(too_long), sleeps)
    assert sleeps == []


def test_config_defaults_and_checks() -> None:
    client = ExchangeClient()
    assert client.exchange.enableRateLimit is True
    assert client.exchange.urls["api"]["public"].startswith("https://api.binance.com/")
    assert client.name == "binance"
    rebased = ExchangeClient(ExchangeClientConfig(base_url="http://127.0.0.1:9/"))
    assert rebased.exchange.urls["api"]["public"] == "http://127.0.0.1:9/api/v3"
    assert rebased.exchange.urls["api"]["fapiPublic"] == "http://127.0.0.1:9/fapi/v1"
    assert ExchangeClient(ExchangeClientConfig("kraken")).name == "kraken"
    with pytest.raises(ValueError, match="not a CCXT exchange"):
        ExchangeClientConfig("nowhere")
    with pytest.raises(ValueError, match="http"):
        ExchangeClientConfig(base_url="ftp://x")
