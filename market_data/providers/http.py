"""GET JSON from a provider with retries, backoff, ``Retry-After`` and a rate limit."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from market_data.providers.errors import (
    MalformedResponseError,
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
        last_problem = ""
        for attempt in range(1, self._retry.max_attempts + 1):
            self._rate_limiter.wait()
            self.requests_sent += 1
            wait: float | None
            try:
                response = self._client.get(url, params=params)
                body = response.content
            except httpx.TimeoutException as error:
                last_problem = f"timed out ({type(error).__name__})"
                wait = None
                failure: type[Exception] = ProviderUnavailableError
            except httpx.TransportError as error:
                last_problem = (
                    f"connection failed or response was cut off ({type(error).__name__}: {error})"
                )
                wait = None
                failure = ProviderUnavailableError
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return json.loads(body)
                    except (json.JSONDecodeError, UnicodeDecodeError) as error:
                        last_problem = f"response is not complete JSON ({error}): {body[:80]!r}"
                        wait = None
                        failure = MalformedResponseError
                elif status in _RATE_LIMIT_STATUSES:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    last_problem = f"HTTP {status} rate limited" + (
                        f", Retry-After {wait:g}s" if wait is not None else ""
                    )
                    if wait is not None and wait > self._retry.max_retry_after_seconds:
                        raise RateLimitedError(
                            f"{self._provider}: {last_problem} exceeds the {self._retry.max_retry_after_seconds:g}s"
                            " this client waits; try again later"
                        )
                    failure = RateLimitedError
                elif status >= 500:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    last_problem = f"HTTP {status} server error: {body[:200]!r}"
                    failure = ProviderUnavailableError
                else:
                    mapped = self._error_mapper(response)
                    if mapped is not None:
                        raise mapped
                    raise ProviderRequestError(
                        f"{self._provider}: HTTP {status} for {response.request.url.copy_with(query=None)}: "
                        f"{body[:300]!r}"
                    )
            if attempt == self._retry.max_attempts:
                raise failure(
                    f"{self._provider}: {last_problem}; gave up after {attempt} attempt(s) "
                    f"for {httpx.URL(url).copy_with(query=None)}"
                )
            self._sleep(wait if wait is not None else self._retry.backoff_seconds(attempt))
        raise AssertionError("unreachable")  # pragma: no cover
