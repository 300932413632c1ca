"""BinanceClient against a local server replaying documented kline responses."""

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
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, fixture, scripted

KLINES: list[list[Any]] = fixture("binance_klines_btcusdt_1h.json")


def serve_klines(request: Request) -> Reply:
    """Answer like Binance: klines with startTime <= open time <= endTime, at most limit."""
    if request.query.get("symbol") != "BTCUSDT":
        return Reply(400, fixture("binance_error_invalid_symbol.json"))
    start, end = int(request.query["startTime"]), int(request.query["endTime"])
    rows = [k for k in KLINES if start <= k[0] <= end][: int(request.query["limit"])]
    return Reply(200, rows)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(server: RecordedServer, sleeps: list[float], **retry: Any) -> BinanceClient:
    config = BinanceClientConfig(
        base_url=server.base_url,
        requests_per_second=math.inf,
        page_limit=2,
        retry=RetryConfig(**({"max_attempts": 3, "base_delay_seconds": 0.5} | retry)),
    )
    return BinanceClient(config, sleep=sleeps.append)


@pytest.fixture
def kline_server() -> Iterator[RecordedServer]:
    with RecordedServer(serve_klines).running() as server:
        yield server


def test_pages_through_the_range(kline_server: RecordedServer, sleeps: list[float]) -> None:
    with make_client(kline_server, sleeps) as client:
        bars = client.fetch_klines(
            "btcusdt", "1h", pd.Timestamp("2018-05-01"), pd.Timestamp("2018-05-02")
        )
    assert len(kline_server.requests) == 3  # pages of 2, 2 and 1 klines
    assert [r.query["startTime"] for r in kline_server.requests] == [
        "1525132800000",
        str(1525132800000 + 3600000 + 1),
        str(1525132800000 + 3 * 3600000 + 1),
    ]
    assert all(
        r.path == "/api/v3/klines" and r.query["interval"] == "1h" for r in kline_server.requests
    )
    assert list(bars.index) == list(pd.date_range("2018-05-01", periods=5, freq="h"))
    assert bars.index.tz is None
    assert bars["open"].iloc[1] == float(KLINES[1][1])
    assert bars["volume"].iloc[4] == float(KLINES[4][5])
    assert (bars["end_time"] == bars.index + pd.Timedelta(hours=1)).all()
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "end_time"]
    assert sleeps == []


def test_range_is_half_open(kline_server: RecordedServer, sleeps: list[float]) -> None:
    with make_client(kline_server, sleeps) as client:
        bars = client.fetch_klines("BTCUSDT", "1h", "2018-05-01T01:00:00", "2018-05-01T03:00:00")
    assert list(bars.index.hour) == [1, 2]


def test_invalid_symbol_is_a_typed_error_without_retries(
    kline_server: RecordedServer, sleeps: list[float]
) -> None:
    with (
        make_client(kline_server, sleeps) as client,
        pytest.raises(UnknownSymbolError, match="NOPE.*-1121"),
    ):
        client.fetch_klines("NOPE", "1h", "2018-05-01", "2018-05-02")
    assert len(kline_server.requests) == 1


def fetch_day(server: RecordedServer, sleeps: list[float], **retry: Any) -> pd.DataFrame:
    """Run the server and fetch one day of BTCUSDT hourly klines through it."""
    with server.running(), make_client(server, sleeps, **retry) as client:
        return client.fetch_klines("BTCUSDT", "1h", "2018-05-01", "2018-05-02")


def test_retry_after_is_honoured(sleeps: list[float]) -> None:
    too_many = Reply(
        429, {"code": -1003, "msg": "Too many requests."}, headers={"Retry-After": "7"}
    )
    bars = fetch_day(RecordedServer(scripted(too_many, serve_klines)), sleeps)
    assert sleeps == [7.0]
    assert len(bars) == 5


def test_server_errors_back_off_exponentially_then_succeed(sleeps: list[float]) -> None:
    server = RecordedServer(
        scripted(Reply(503, raw=b"busy"), Reply(502, raw=b"bad gateway"), serve_klines)
    )
    bars = fetch_day(server, sleeps, max_attempts=4)
    assert sleeps == [0.5, 1.0]
    assert len(bars) == 5


def test_persistent_server_errors_give_up(sleeps: list[float]) -> None:
    server = RecordedServer(scripted(Reply(500, raw=b"oops")))
    with pytest.raises(ProviderUnavailableError, match="HTTP 500.*gave up after 3 attempt"):
        fetch_day(server, sleeps)
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def truncated(request: Request) -> Reply:
    """A complete-looking response whose body stops after 40 bytes."""
    return Reply(200, serve_klines(request).body, cut_after_bytes=40)


def test_truncated_page_is_retried(sleeps: list[float]) -> None:
    bars = fetch_day(RecordedServer(scripted(truncated, serve_klines)), sleeps)
    assert len(bars) == 5
    assert sleeps == [0.5]


def test_always_truncated_page_fails_clearly(sleeps: list[float]) -> None:
    with pytest.raises(ProviderUnavailableError, match="cut off"):
        fetch_day(RecordedServer(truncated), sleeps)


def test_invalid_json_is_malformed(sleeps: list[float]) -> None:
    server = RecordedServer(scripted(Reply(200, raw=b'[[1525132800000,"9200.0"')))
    with pytest.raises(MalformedResponseError, match="not complete JSON"):
        fetch_day(server, sleeps)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"unexpected": "object"}, "page is not a list"),
        ([KLINES[0][:11]], "not a 12-field list"),
        ([[KLINES[0][0], "abc", *KLINES[0][2:]]], "non-numeric values"),
        ([KLINES[1], KLINES[0]], "out of order"),
    ],
)
def test_wrong_shapes_are_malformed(sleeps: list[float], body: Any, message: str) -> None:
    server = RecordedServer(scripted(Reply(200, body)))
    with pytest.raises(MalformedResponseError, match=message):
        fetch_day(server, sleeps)
    assert len(server.requests) == 1


def test_too_long_retry_after_fails_at_once(sleeps: list[float]) -> None:
    banned = Reply(418, {"code": -1003, "msg": "IP banned"}, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError, match="Retry-After 3600s exceeds"):
        fetch_day(RecordedServer(scripted(banned)), sleeps)
    assert sleeps == []


def test_timeouts_are_retried_then_reported(sleeps: list[float]) -> None:
    slow = RecordedServer(scripted(Reply(200, [], delay_seconds=0.6)))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        fetch_day(slow, sleeps, max_attempts=2, timeout_seconds=0.2)
    assert sleeps == [0.5]


def test_bad_arguments() -> None:
    client = BinanceClient(BinanceClientConfig(base_url="http://127.0.0.1:9"))
    with pytest.raises(ValueError, match="interval must be one of"):
        client.fetch_klines("BTCUSDT", "7h", "2018-05-01", "2018-05-02")
    with pytest.raises(ValueError, match="must be after start"):
        client.fetch_klines("BTCUSDT", "1h", "2018-05-02", "2018-05-01")
    with pytest.raises(UnknownSymbolError, match="not a valid symbol"):
        client.fetch_klines("BTC/USDT", "1h", "2018-05-01", "2018-05-02")
    client.close()


def test_config_from_environment() -> None:
    assert BinanceClientConfig.from_environment({}).base_url == "https://api.binance.com"
    config = BinanceClientConfig.from_environment({"BINANCE_BASE_URL": "http://localhost:8080/"})
    assert config.base_url == "http://localhost:8080"
    with pytest.raises(ValueError, match="page_limit must be"):
        BinanceClientConfig(page_limit=5000)
    with pytest.raises(ValueError, match="http"):
        BinanceClientConfig(base_url="ftp://x")


def test_server_error_retry_after_is_honoured_within_the_limit(sleeps: list[float]) -> None:
    maintenance = Reply(503, raw=b"maintenance", headers={"Retry-After": "2"})
    bars = fetch_day(RecordedServer(scripted(maintenance, serve_klines)), sleeps)
    assert sleeps == [2.0]
    assert len(bars) == 5
    long_maintenance = Reply(503, raw=b"maintenance", headers={"Retry-After": "600"})
    with pytest.raises(ProviderUnavailableError, match="Retry-After 600s exceeds the 120s"):
        fetch_day(RecordedServer(scripted(long_maintenance)), sleeps)


def test_kline_still_in_progress_is_dropped(kline_server: RecordedServer) -> None:
    config = BinanceClientConfig(base_url=kline_server.base_url, requests_per_second=math.inf)
    now = datetime(2018, 5, 1, 2, 30, tzinfo=UTC)
    with BinanceClient(config, clock=lambda: now) as client:
        complete = client.fetch_klines("BTCUSDT", "1h", "2018-05-01", "2018-05-02")
        everything = client.fetch_klines(
            "BTCUSDT", "1h", "2018-05-01", "2018-05-02", complete_only=False
        )
    assert list(complete.index.hour) == [0, 1]
    assert len(everything) == 5
