"""GET JSON from a provider with retries, backoff, ``Retry-After`` and a rate limit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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
