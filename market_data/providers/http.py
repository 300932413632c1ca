"""The HTTP plumbing every provider client shares.

:class:`JsonGetter` GETs JSON with retries, backoff, ``Retry-After``, a rate limit, timeouts
and typed errors; :class:`ProviderClient` is the base of the Binance and Polygon clients (its
``JsonGetter``, ``requests_sent``, ``close`` and the context manager); the ``check_*`` helpers
validate the settings every client config has, and :func:`error_body` reads the JSON body of
an error response for a provider's error mapper.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import httpx

from market_data.providers.errors import (
    MalformedResponseError,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailableError,
    RateLimitedError,
)
from market_data.providers.retry import RateLimiter, RetryConfig, Sleep, retry_after_seconds

ErrorMapper = Callable[[httpx.Response], Exception | None]
"""Turns a provider-specific error response into a typed error, or None for the default."""

_RATE_LIMIT_STATUSES = frozenset({418, 429})


class JsonGetter:
    """Fetch JSON documents from one provider.

    Parameters
    ----------
    provider
        Name used in error messages.
    retry
        Retry and timeout policy.
    rate_limiter
        Client-side request spacing.
    error_mapper
        Provider-specific translation of 4xx bodies into typed errors.
    headers
        Sent with every request (e.g. authorisation).
    transport
        Optional httpx transport (tests may pass one; normally the network).
    sleep
        Sleep function used for backoff (injected in tests).
    """

    def __init__(
        self,
        *,
        provider: str,
        retry: RetryConfig,
        rate_limiter: RateLimiter,
        error_mapper: ErrorMapper,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._provider = provider
        self._retry = retry
        self._rate_limiter = rate_limiter
        self._error_mapper = error_mapper
        self._sleep = sleep
        self._client = httpx.Client(
            headers=dict(headers or {}),
            timeout=httpx.Timeout(retry.timeout_seconds),
            transport=transport,
            follow_redirects=True,
        )
        self.requests_sent = 0

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> Any:
        """GET ``url`` and decode its JSON body, retrying transient failures.

        Raises
        ------
        RateLimitedError, ProviderUnavailableError, MalformedResponseError, ProviderRequestError
            Or whatever the provider's error mapper returns for a 4xx response.
        """
        where = httpx.URL(url).copy_with(query=None)
        for attempt in range(1, self._retry.max_attempts + 1):
            self._rate_limiter.wait()
            self.requests_sent += 1
            outcome = self._attempt(url, params)
            if isinstance(outcome, _Success):
                return outcome.value
            if outcome.wait is not None and outcome.wait > self._retry.max_retry_after_seconds:
                raise outcome.error(
                    f"{self._provider}: {outcome.problem} exceeds the "
                    f"{self._retry.max_retry_after_seconds:g}s this client waits; try again later"
                )
            if attempt == self._retry.max_attempts:
                raise outcome.error(
                    f"{self._provider}: {outcome.problem}; gave up after {attempt} attempt(s) for {where}"
                )
            self._sleep(
                outcome.wait if outcome.wait is not None else self._retry.backoff_seconds(attempt)
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, url: str, params: Mapping[str, str | int] | None) -> _Success | _Failure:
        try:
            response = self._client.get(url, params=params)
            body = response.content
        except httpx.TimeoutException as error:
            return _Failure(ProviderUnavailableError, f"timed out ({type(error).__name__})")
        except httpx.TransportError as error:
            problem = f"connection failed or response was cut off ({type(error).__name__}: {error})"
            return _Failure(ProviderUnavailableError, problem)
        status = response.status_code
        if status == 200:
            try:
                return _Success(json.loads(body))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                problem = f"response is not complete JSON ({error}): {body[:80]!r}"
                return _Failure(MalformedResponseError, problem)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        asked = f", Retry-After {wait:g}s" if wait is not None else ""
        if status in _RATE_LIMIT_STATUSES:
            return _Failure(RateLimitedError, f"HTTP {status} rate limited{asked}", wait)
        if status >= 500:
            return _Failure(
                ProviderUnavailableError,
                f"HTTP {status} server error ({body[:200]!r}){asked}",
                wait,
            )
        mapped = self._error_mapper(response)
        if mapped is not None:
            raise mapped
        raise ProviderRequestError(
            f"{self._provider}: HTTP {status} for {response.request.url.copy_with(query=None)}: "
            f"{body[:300]!r}"
        )


@dataclass(frozen=True)
class _Success:
    value: Any


@dataclass(frozen=True)
class _Failure:
    error: type[ProviderError]
    problem: str
    wait: float | None = None


def check_base_url(base_url: str) -> str:
    """``base_url`` without its trailing slashes; refuse anything but an http(s) URL."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL; got {base_url!r}")
    return base_url.rstrip("/")


def check_page_limit(page_limit: int, maximum: int) -> None:
    """Refuse a page size outside ``1..maximum``."""
    if not 1 <= page_limit <= maximum:
        raise ValueError(f"page_limit must be 1..{maximum}; got {page_limit}")


def check_rate(name: str, value: float) -> None:
    """Refuse a request rate that is not positive (NaN included); ``math.inf`` is no limit."""
    if not value > 0 or math.isnan(value):
        raise ValueError(f"{name} must be positive; got {value}")


def error_body(response: httpx.Response) -> Any:
    """The decoded JSON body of an error response, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


class ProviderClient:
    """Base of a provider client: one :class:`JsonGetter` with its rate limiter.

    Parameters
    ----------
    provider
        Name used in error messages.
    retry
        Retry, backoff and timeout policy.
    requests_per_second
        Client-side request rate (``math.inf``: no limit).
    error_mapper
        Provider-specific translation of 4xx responses into typed errors.
    headers
        Sent with every request (e.g. authorisation).
    transport
        Optional httpx transport (tests); normally the network.
    sleep
        Sleep used for backoff and rate limiting (injected in tests).
    """

    def __init__(
        self,
        *,
        provider: str,
        retry: RetryConfig,
        requests_per_second: float,
        error_mapper: ErrorMapper,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self._http = JsonGetter(
            provider=provider,
            retry=retry,
            rate_limiter=RateLimiter(requests_per_second, sleep=sleep),
            error_mapper=error_mapper,
            headers=headers,
            transport=transport,
            sleep=sleep,
        )

    @property
    def requests_sent(self) -> int:
        """HTTP requests made so far (retries included)."""
        return self._http.requests_sent

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
