"""The shared provider HTTP layer (JsonGetter, ProviderClient, the config checks) on its own."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest

from market_data.providers import (
    MalformedResponseError,
    ProviderRequestError,
    ProviderUnavailableError,
    RateLimitedError,
    RetryConfig,
    UnknownSymbolError,
)
from market_data.providers.http import (
    JsonGetter,
    ProviderClient,
    check_base_url,
    check_page_limit,
    check_rate,
    error_body,
)
from market_data.providers.retry import RateLimiter
from tests.unit.market_data.recorded_server import RecordedServer, Reply, scripted


def no_mapping(response: httpx.Response) -> Exception | None:
    return None


def make_getter(sleeps: list[float], *, mapper: Any = no_mapping, **retry: Any) -> JsonGetter:
    return JsonGetter(
        provider="Test",
        retry=RetryConfig(**({"max_attempts": 3, "base_delay_seconds": 0.5} | retry)),
        rate_limiter=RateLimiter(math.inf),
        error_mapper=mapper,
        sleep=sleeps.append,
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


def test_returns_the_decoded_body_and_passes_params(sleeps: list[float]) -> None:
    with RecordedServer(scripted(Reply(200, {"ok": [1, 2]}))).running() as server:
        getter = make_getter(sleeps)
        assert getter.get(f"{server.base_url}/x", {"a": 1, "b": "c"}) == {"ok": [1, 2]}
        getter.close()
        assert server.requests[0].query == {"a": "1", "b": "c"}
        assert getter.requests_sent == 1
        assert sleeps == []


def test_server_errors_back_off_exponentially_then_succeed(sleeps: list[float]) -> None:
    replies = scripted(Reply(500, {}), Reply(503, {}), Reply(200, [1]))
    with RecordedServer(replies).running() as server:
        getter = make_getter(sleeps)
        assert getter.get(f"{server.base_url}/x") == [1]
        assert getter.requests_sent == 3
        assert sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_and_a_long_one_fails_at_once(sleeps: list[float]) -> None:
    replies = scripted(
        Reply(429, {}, headers={"Retry-After": "7"}),
        Reply(200, []),
    )
    with RecordedServer(replies).running() as server:
        assert make_getter(sleeps).get(f"{server.base_url}/x") == []
        assert sleeps == [7.0]
    sleeps.clear()
    with RecordedServer(
        scripted(Reply(418, {}, headers={"Retry-After": "600"}))
    ).running() as server:
        getter = make_getter(sleeps)
        with pytest.raises(RateLimitedError, match="exceeds the 120s"):
            getter.get(f"{server.base_url}/x")
        assert getter.requests_sent == 1
        assert sleeps == []


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply(429, {}), RateLimitedError, "gave up after 3 attempt"),
        (Reply(502, {}), ProviderUnavailableError, "HTTP 502"),
        (Reply(200, raw=b'{"cut'), MalformedResponseError, "not complete JSON"),
    ],
)
def test_gives_up_after_max_attempts_with_a_typed_error(
    sleeps: list[float], reply: Reply, error: type[Exception], message: str
) -> None:
    with (
        RecordedServer(scripted(reply)).running() as server,
        pytest.raises(error, match=message),
    ):
        make_getter(sleeps).get(f"{server.base_url}/x")
    assert sleeps == [0.5, 1.0]


def test_timeouts_and_truncated_bodies_are_retried(sleeps: list[float]) -> None:
    replies = scripted(
        Reply(200, [1], delay_seconds=0.5),
        Reply(200, list(range(100)), cut_after_bytes=10),
        Reply(200, [2]),
    )
    with RecordedServer(replies).running() as server:
        getter = make_getter(sleeps, timeout_seconds=0.1)
        assert getter.get(f"{server.base_url}/x") == [2]
        assert getter.requests_sent == 3


def test_client_errors_use_the_mapper_else_a_request_error(sleeps: list[float]) -> None:
    def mapper(response: httpx.Response) -> Exception | None:
        body = error_body(response)
        if isinstance(body, dict) and body.get("code") == 7:
            return UnknownSymbolError("mapped")
        return None

    replies = scripted(Reply(400, {"code": 7}), Reply(404, raw=b"not json"))
    with RecordedServer(replies).running() as server:
        getter = make_getter(sleeps, mapper=mapper)
        with pytest.raises(UnknownSymbolError, match="mapped"):
            getter.get(f"{server.base_url}/x")
        with pytest.raises(ProviderRequestError, match="Test: HTTP 404"):
            getter.get(f"{server.base_url}/x", {"secret": "no"})
        assert getter.requests_sent == 2
        assert sleeps == []


def test_provider_client_sends_headers_counts_requests_and_closes(sleeps: list[float]) -> None:
    with RecordedServer(scripted(Reply(200, {}))).running() as server:
        with ProviderClient(
            provider="Test",
            retry=RetryConfig(),
            requests_per_second=math.inf,
            error_mapper=no_mapping,
            headers={"Authorization": "Bearer k"},
            sleep=sleeps.append,
        ) as client:
            assert client._http.get(f"{server.base_url}/x") == {}
            assert client.requests_sent == 1
        assert server.requests[0].headers["authorization"] == "Bearer k"
        with pytest.raises(RuntimeError):
            client._http.get(f"{server.base_url}/x")


def test_provider_client_rate_limit_spaces_requests() -> None:
    sleeps: list[float] = []
    with RecordedServer(scripted(Reply(200, {}))).running() as server:
        client = ProviderClient(
            provider="Test",
            retry=RetryConfig(),
            requests_per_second=0.5,
            error_mapper=no_mapping,
            sleep=sleeps.append,
        )
        client._http.get(f"{server.base_url}/x")
        client._http.get(f"{server.base_url}/x")
        client.close()
    assert len(sleeps) == 1
    assert 1.9 < sleeps[0] <= 2.0


def test_config_checks() -> None:
    assert check_base_url("https://example.test//") == "https://example.test"
    with pytest.raises(ValueError, match="base_url must be an http"):
        check_base_url("ftp://example.test")
    check_page_limit(1, 10)
    check_page_limit(10, 10)
    with pytest.raises(ValueError, match=r"page_limit must be 1\.\.10; got 11"):
        check_page_limit(11, 10)
    check_rate("requests_per_second", math.inf)
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="requests_per_second must be positive"):
            check_rate("requests_per_second", bad)


def test_error_body() -> None:
    request = httpx.Request("GET", "http://example.test")
    assert error_body(httpx.Response(400, json={"a": 1}, request=request)) == {"a": 1}
    assert error_body(httpx.Response(400, content=b"<html>", request=request)) is None
