"""PolygonClient against a local server replaying documented aggregate responses."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from market_data.providers import (
    AuthenticationError,
    MalformedResponseError,
    RetryConfig,
    UnknownSymbolError,
)
from market_data.providers.polygon import PolygonClient, PolygonClientConfig
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, fixture, scripted

KEY = "test-key-not-a-secret"


def with_pages(*before: Reply) -> RecordedServer:
    """A server answering ``before`` first, then the two recorded AAPL pages via next_url."""
    server = RecordedServer(scripted(Reply()))

    def pages(request: Request) -> Reply:
        if "cursor" in request.query:
            return Reply(200, fixture("polygon_aggs_aapl_day_page2.json"))
        text = json.dumps(fixture("polygon_aggs_aapl_day_page1.json"))
        return Reply(200, raw=text.replace("{base_url}", server.base_url).encode())

    server.responder = scripted(*before, pages)
    return server


def make_client(server: RecordedServer, sleeps: list[float]) -> PolygonClient:
    config = PolygonClientConfig(
        api_key=KEY,
        base_url=server.base_url,
        requests_per_minute=math.inf,
        retry=RetryConfig(max_attempts=3, base_delay_seconds=0.25),
    )
    return PolygonClient(config, sleep=sleeps.append)


def fetch_week(server: RecordedServer, sleeps: list[float] | None = None) -> pd.DataFrame:
    """Run the server and fetch AAPL daily bars for 2023-01-03..06 through it."""
    with server.running(), make_client(server, [] if sleeps is None else sleeps) as client:
        return client.fetch_aggregates("AAPL", 1, "day", "2023-01-03", "2023-01-06")


def test_follows_next_url_and_converts_to_exchange_time() -> None:
    sleeps: list[float] = []
    server = with_pages()
    bars = fetch_week(server, sleeps)
    first, second = server.requests
    assert first.path == "/v2/aggs/ticker/AAPL/range/1/day/2023-01-03/2023-01-06"
    assert first.query == {"adjusted": "true", "sort": "asc", "limit": "50000"}
    assert second.query == {"cursor": "bGltaXQ9MiZzb3J0PWFzYw"}
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {KEY}"
        assert KEY not in request.raw_path
    days = pd.to_datetime(["2023-01-03", "2023-01-04", "2023-01-05", "2023-01-06"])
    assert list(bars.index) == list(days)
    assert bars["open"].tolist() == [130.28, 129.28, 128.28, 127.28]
    assert bars["volume"].iloc[0] == 112117471.0
    assert bars["end_time"].iloc[0] == pd.Timestamp("2023-01-03 16:00")
    assert sleeps == []


def test_datetime_bounds_are_sent_as_epoch_milliseconds() -> None:
    server = RecordedServer(scripted(Reply(200, fixture("polygon_aggs_empty.json"))))
    start, end = pd.Timestamp("2023-01-03 00:00"), pd.Timestamp("2023-01-03 05:00")
    with server.running(), make_client(server, []) as client:
        bars = client.fetch_aggregates("X:BTCUSD", 1, "hour", start, end, time_zone="UTC")
    expected = "/v2/aggs/ticker/X%3ABTCUSD/range/1/hour/1672704000000/1672722000000"
    assert server.requests[0].path == expected
    assert bars.empty
    assert list(bars.columns) == ["open", "high", "low", "close", "volume", "end_time"]


@pytest.mark.parametrize(
    ("status", "name", "error", "message"),
    [
        (401, "polygon_error_unknown_key.json", AuthenticationError, "API key.*Unknown API Key"),
        (403, "polygon_error_not_authorized.json", AuthenticationError, "not entitled"),
        (404, "polygon_aggs_empty.json", UnknownSymbolError, "not found"),
    ],
)
def test_http_errors_are_typed(
    status: int, name: str, error: type[Exception], message: str
) -> None:
    server = RecordedServer(scripted(Reply(status, fixture(name))))
    with pytest.raises(error, match=message):
        fetch_week(server)
    assert len(server.requests) == 1


def test_rate_limited_without_retry_after_backs_off() -> None:
    sleeps: list[float] = []
    bars = fetch_week(with_pages(Reply(429, fixture("polygon_error_rate_limited.json"))), sleeps)
    assert sleeps == [0.25]
    assert len(bars) == 4


def test_truncated_page_then_success() -> None:
    sleeps: list[float] = []
    cut = Reply(200, fixture("polygon_aggs_aapl_day_page2.json"), cut_after_bytes=60)
    bars = fetch_week(with_pages(cut), sleeps)
    assert len(bars) == 4
    assert sleeps == [0.25]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "ERROR", "error": "something broke"}, "status 'ERROR' something broke"),
        ({"status": "OK", "results": {"o": 1}}, "'results' is not a list"),
        ({"status": "OK", "results": [{"t": 1, "o": 1, "h": 1, "l": 1, "c": 1}]}, "lacks t/o/h"),
        (
            {"status": "OK", "results": [{"t": 1, "o": "1", "h": 1, "l": 1, "c": 1, "v": 1}]},
            "non-numeric",
        ),
        ({"status": "OK", "results": [], "next_url": 5}, "next_url is not a string"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_malformed_pages(body: Any, message: str) -> None:
    with pytest.raises(MalformedResponseError, match=message):
        fetch_week(RecordedServer(scripted(Reply(200, body))))


def test_repeating_next_url_is_refused() -> None:
    server = RecordedServer(scripted(Reply()))
    again = {"status": "OK", "results": [], "next_url": f"{server.base_url}/v2/aggs/x?cursor=x"}
    server.responder = scripted(Reply(200, again))
    with pytest.raises(MalformedResponseError, match="does not end"):
        fetch_week(server)


def test_key_comes_from_the_environment_and_is_required() -> None:
    with pytest.raises(AuthenticationError, match="MARKET_DATA_API_KEY"):
        PolygonClient(PolygonClientConfig.from_environment({}))
    config = PolygonClientConfig.from_environment(
        {
            "MARKET_DATA_API_KEY": "abc",
            "POLYGON_BASE_URL": "http://127.0.0.1:1/",
            "POLYGON_REQUESTS_PER_MINUTE": "100",
        }
    )
    assert (config.api_key, config.base_url, config.requests_per_minute) == (
        "abc",
        "http://127.0.0.1:1",
        100.0,
    )
    assert "abc" not in repr(config)
    with pytest.raises(ValueError, match="POLYGON_REQUESTS_PER_MINUTE"):
        PolygonClientConfig.from_environment({"POLYGON_REQUESTS_PER_MINUTE": "fast"})


def test_bad_arguments() -> None:
    client = PolygonClient(PolygonClientConfig(api_key="k", base_url="http://127.0.0.1:9"))
    with pytest.raises(ValueError, match="timespan must be one of"):
        client.fetch_aggregates("AAPL", 1, "week", "2023-01-03", "2023-01-06")
    with pytest.raises(UnknownSymbolError, match="not a valid ticker"):
        client.fetch_aggregates("AA PL", 1, "day", "2023-01-03", "2023-01-06")
    client.close()


def test_todays_daily_bar_is_dropped_before_the_close() -> None:
    server = with_pages()
    config = PolygonClientConfig(
        api_key=KEY, base_url=server.base_url, requests_per_minute=math.inf
    )
    before_close = datetime(2023, 1, 6, 15, 59, tzinfo=ZoneInfo("America/New_York"))
    with server.running(), PolygonClient(config, clock=lambda: before_close) as client:
        bars = client.fetch_aggregates("AAPL", 1, "day", "2023-01-03", "2023-01-06")
    assert bars.index[-1] == pd.Timestamp("2023-01-05")
