"""Retry policy, Retry-After parsing and the client-side rate limiter."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from market_data.providers.retry import RateLimiter, RetryConfig, retry_after_seconds


def test_backoff_doubles_up_to_the_cap() -> None:
    config = RetryConfig(base_delay_seconds=1.0, max_delay_seconds=5.0)
    assert [config.backoff_seconds(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_seconds_and_http_dates() -> None:
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("12", now=now) == 12.0
    assert retry_after_seconds("Mon, 01 Jan 2024 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Mon, 01 Jan 2024 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None


def test_rate_limiter_spaces_requests() -> None:
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    limiter = RateLimiter(4.0, clock=lambda: clock[0], sleep=sleep)
    assert [limiter.wait() for _ in range(3)] == [0.0, 0.25, 0.25]
    clock[0] += 10.0
    assert limiter.wait() == 0.0
    assert slept == [0.25, 0.25]


def test_unlimited_rate_never_sleeps() -> None:
    limiter = RateLimiter(math.inf, clock=lambda: 0.0, sleep=lambda s: pytest.fail("slept"))
    assert sum(limiter.wait() for _ in range(10)) == 0.0


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay_seconds": -1}, "base_delay"),
        ({"timeout_seconds": 0}, "timeout"),
    ],
)
def test_invalid_retry_config(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryConfig(**arguments)  # type: ignore[arg-type]
