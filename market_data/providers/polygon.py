"""Polygon.io aggregate bars (``/v2/aggs``), with the key from ``MARKET_DATA_API_KEY``."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final
from urllib.parse import quote

import httpx
import numpy as np
import pandas as pd

from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS
from market_data.lean_format.timing import EQUITY_MARKET_CLOSE
from market_data.providers.errors import (
    AuthenticationError,
    MalformedResponseError,
    ProviderRequestError,
    UnknownSymbolError,
)
from market_data.providers.http import (
    ProviderClient,
    check_base_url,
    check_page_limit,
    check_rate,
    error_body,
)
from market_data.providers.retry import RetryConfig, Sleep
from market_data.providers.times import complete_bars, naive_times, to_utc_milliseconds

DEFAULT_BASE_URL: Final = "https://api.polygon.io"
MAX_PAGE_LIMIT: Final = 50_000
MAX_PAGES: Final = 10_000
TIMESPANS: Final[dict[str, pd.Timedelta]] = {
    "minute": pd.Timedelta(minutes=1),
    "hour": pd.Timedelta(hours=1),
    "day": pd.Timedelta(days=1),
}
_TICKER: Final = re.compile(r"^(?:[A-Z]:)?[A-Z0-9.\-]{1,20}$")
_OK_STATUSES: Final = frozenset({"OK", "DELAYED"})
_FIELDS: Final = ("o", "h", "l", "c", "v")


@dataclass(frozen=True)
class PolygonClientConfig:
    """Settings of :class:`PolygonClient`.

    Parameters
    ----------
    api_key
        Polygon API key (``MARKET_DATA_API_KEY``); sent as a bearer token, never in URLs.
    base_url
        API root (``POLYGON_BASE_URL``), default the public API.
    requests_per_minute
        Client-side rate (``POLYGON_REQUESTS_PER_MINUTE``); the free plan allows 5.
    page_limit
        Aggregates per page, at most 50,000.
    retry
        Retry, backoff and timeout policy.
    """

    api_key: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    requests_per_minute: float = 5.0
    page_limit: int = MAX_PAGE_LIMIT
    retry: RetryConfig = field(default_factory=RetryConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        check_page_limit(self.page_limit, MAX_PAGE_LIMIT)
        check_rate("requests_per_minute", self.requests_per_minute)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> PolygonClientConfig:
        """Read ``MARKET_DATA_API_KEY``, ``POLYGON_BASE_URL``, ``POLYGON_REQUESTS_PER_MINUTE``."""
        values = os.environ if environment is None else environment
        rate = values.get("POLYGON_REQUESTS_PER_MINUTE")
        try:
            requests_per_minute = float(rate) if rate else 5.0
        except ValueError:
            raise ValueError(
                f"POLYGON_REQUESTS_PER_MINUTE must be a number; got {rate!r}"
            ) from None
        return cls(
            api_key=values.get("MARKET_DATA_API_KEY", "").strip(),
            base_url=values.get("POLYGON_BASE_URL") or DEFAULT_BASE_URL,
            requests_per_minute=requests_per_minute,
        )


class PolygonClient(ProviderClient):
    """Fetch aggregate bars from Polygon.io.

    Parameters
    ----------
    config
        Settings; defaults to :meth:`PolygonClientConfig.from_environment`.
    transport
        Optional httpx transport (tests); normally the network.
    sleep
        Sleep used for backoff and rate limiting (injected in tests).
    clock
        Current time, time-zone aware (injected in tests); decides which bars are complete.
    """

    def __init__(
        self,
        config: PolygonClientConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config or PolygonClientConfig.from_environment()
        if not self.config.api_key:
            raise AuthenticationError(
                "Polygon needs an API key: set MARKET_DATA_API_KEY in the environment"
            )
        self._clock = clock
        super().__init__(
            provider="Polygon",
            retry=self.config.retry,
            requests_per_second=self.config.requests_per_minute / 60.0,
            error_mapper=_polygon_error,
            headers={"Authorization": f"Bearer {self.config.api_key}"},
            transport=transport,
            sleep=sleep,
        )

    def fetch_aggregates(
        self,
        ticker: str,
        multiplier: int,
        timespan: str,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        adjusted: bool = True,
        time_zone: str = "America/New_York",
        complete_only: bool = True,
    ) -> pd.DataFrame:
        """Aggregate bars from ``start`` to ``end`` (both inclusive, as Polygon defines them).

        Parameters
        ----------
        ticker
            Polygon ticker, e.g. ``"AAPL"`` or ``"X:BTCUSD"``.
        multiplier
            Bars span ``multiplier`` timespans.
        timespan
            ``"minute"``, ``"hour"`` or ``"day"``.
        start, end
            Dates (sent as ``YYYY-MM-DD``) or datetimes (sent as epoch milliseconds; naive = UTC).
        adjusted
            Ask Polygon for split-adjusted bars.
        time_zone
            Zone of the returned naive times: New York (US stocks, LEAN's exchange time)
            by default; use ``"UTC"`` for crypto.
        complete_only
            Drop bars still in progress (e.g. today's daily bar before the close).

        Returns
        -------
        pandas.DataFrame
            Index ``time`` (bar start, naive in ``time_zone``), float64
            ``open, high, low, close, volume`` and ``end_time`` (16:00 for New York daily
            bars, else start plus the bar length).

        Raises
        ------
        AuthenticationError
            HTTP 401/403: key invalid or not entitled.
        UnknownSymbolError
            Invalid ticker or HTTP 404.
        MalformedResponseError
            A page not in the documented shape.
        RateLimitedError, ProviderUnavailableError, ProviderRequestError
            As raised by the HTTP layer.
        """
        ticker_code = ticker.strip().upper()
        if not _TICKER.match(ticker_code):
            raise UnknownSymbolError(f"Polygon: {ticker!r} is not a valid ticker")
        if timespan not in TIMESPANS:
            raise ValueError(f"timespan must be one of {', '.join(TIMESPANS)}; got {timespan!r}")
        if multiplier < 1:
            raise ValueError(f"multiplier must be at least 1; got {multiplier}")
        url: str | None = (
            f"{self.config.base_url}/v2/aggs/ticker/{quote(ticker_code)}/range/{multiplier}/{timespan}/"
            f"{_bound(start)}/{_bound(end)}"
        )
        params: dict[str, str | int] | None = {
            "adjusted": "true" if adjusted else "false",
            "sort": "asc",
            "limit": self.config.page_limit,
        }
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        while url is not None:
            if url in seen or len(seen) >= MAX_PAGES:
                raise MalformedResponseError(
                    f"Polygon: pagination does not end (next_url {url} repeats)"
                )
            seen.add(url)
            page = self._http.get(url, params)
            results += _validated_results(page, page_number=len(seen))
            next_url = page.get("next_url")
            if next_url is not None and not isinstance(next_url, str):
                raise MalformedResponseError(f"Polygon: next_url is not a string: {next_url!r}")
            url, params = next_url, None
        bars = _aggregates_frame(
            results,
            TIMESPANS[timespan] * multiplier,
            timespan=timespan,
            multiplier=multiplier,
            time_zone=time_zone,
        )
        return (
            complete_bars(bars, now=self._clock(), time_zone=time_zone) if complete_only else bars
        )


def _bound(moment: date | datetime | str) -> str:
    if isinstance(moment, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", moment):
        return moment
    if isinstance(moment, date) and not isinstance(moment, datetime):
        return moment.isoformat()
    return str(to_utc_milliseconds(moment))


def _validated_results(page: Any, *, page_number: int) -> list[dict[str, Any]]:
    if not isinstance(page, dict):
        raise MalformedResponseError(
            f"Polygon: page {page_number} is not a JSON object: {str(page)[:120]}"
        )
    status = page.get("status")
    if status not in _OK_STATUSES:
        detail = page.get("error") or page.get("message") or ""
        raise MalformedResponseError(
            f"Polygon: page {page_number} has status {status!r} {detail}".rstrip()
        )
    results = page.get("results", [])
    if not isinstance(results, list):
        raise MalformedResponseError(f"Polygon: page {page_number} 'results' is not a list")
    for number, bar in enumerate(results):
        if not isinstance(bar, dict) or "t" not in bar or any(name not in bar for name in _FIELDS):
            raise MalformedResponseError(
                f"Polygon: result {number} of page {page_number} lacks t/o/h/l/c/v: {str(bar)[:120]}"
            )
        values = [bar["t"], *(bar[name] for name in _FIELDS)]
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in values
        ):
            raise MalformedResponseError(
                f"Polygon: result {number} of page {page_number} has non-numeric values: {str(bar)[:120]}"
            )
    return results


def _aggregates_frame(
    results: list[dict[str, Any]],
    period: pd.Timedelta,
    *,
    timespan: str,
    multiplier: int,
    time_zone: str,
) -> pd.DataFrame:
    times = naive_times([int(bar["t"]) for bar in results], time_zone=time_zone)
    values = np.array([[float(bar[name]) for name in _FIELDS] for bar in results], dtype=np.float64)
    frame = pd.DataFrame(
        values.reshape(-1, 5),
        columns=list(TRADE_COLUMNS),
        index=pd.DatetimeIndex(times, name=INDEX_NAME),
    )
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    if timespan == "day" and multiplier == 1 and time_zone == "America/New_York":
        frame[END_TIME_COLUMN] = pd.DatetimeIndex(frame.index).normalize() + EQUITY_MARKET_CLOSE
    else:
        frame[END_TIME_COLUMN] = frame.index + period
    return frame


def _polygon_error(response: httpx.Response) -> Exception | None:
    body = error_body(response)
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("error") or body.get("message") or body.get("status") or "")
    status = response.status_code
    if status == 401:
        return AuthenticationError(
            f"Polygon rejected the API key (HTTP 401: {detail}); check MARKET_DATA_API_KEY"
        )
    if status == 403:
        return AuthenticationError(
            f"Polygon: the API key is not entitled to this data (HTTP 403: {detail})"
        )
    if status == 404:
        return UnknownSymbolError(
            f"Polygon: not found (HTTP 404: {detail}) for {response.request.url.path}"
        )
    return ProviderRequestError(f"Polygon: HTTP {status}: {detail}") if detail else None
