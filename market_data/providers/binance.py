"""Public Binance klines (candlesticks) as bars, without an API key."""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

import httpx
import numpy as np
import pandas as pd

from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS
from market_data.providers.errors import (
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

DEFAULT_BASE_URL: Final = "https://api.binance.com"
KLINES_PATH: Final = "/api/v3/klines"
MAX_PAGE_LIMIT: Final = 1000
INVALID_SYMBOL_CODE: Final = -1121
KLINE_FIELDS: Final = 12

INTERVALS: Final[dict[str, pd.Timedelta]] = {
    "1m": pd.Timedelta(minutes=1),
    "3m": pd.Timedelta(minutes=3),
    "5m": pd.Timedelta(minutes=5),
    "15m": pd.Timedelta(minutes=15),
    "30m": pd.Timedelta(minutes=30),
    "1h": pd.Timedelta(hours=1),
    "2h": pd.Timedelta(hours=2),
    "4h": pd.Timedelta(hours=4),
    "6h": pd.Timedelta(hours=6),
    "8h": pd.Timedelta(hours=8),
    "12h": pd.Timedelta(hours=12),
    "1d": pd.Timedelta(days=1),
}
"""Fixed-length intervals Binance serves (``3d``, ``1w``, ``1M`` are not bar resolutions here)."""

_SYMBOL: Final = re.compile(r"^[A-Z0-9-_.]{1,20}$")


@dataclass(frozen=True)
class BinanceClientConfig:
    """Settings of :class:`BinanceClient`.

    Parameters
    ----------
    base_url
        API root; ``BINANCE_BASE_URL`` in the environment, else the public API.
    requests_per_second
        Client-side request rate (klines cost 2 of Binance's 6,000 weight per minute).
    page_limit
        Klines per request, at most 1,000.
    retry
        Retry, backoff and timeout policy.
    """

    base_url: str = DEFAULT_BASE_URL
    requests_per_second: float = 10.0
    page_limit: int = MAX_PAGE_LIMIT
    retry: RetryConfig = field(default_factory=RetryConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        check_page_limit(self.page_limit, MAX_PAGE_LIMIT)
        check_rate("requests_per_second", self.requests_per_second)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] | None = None) -> BinanceClientConfig:
        """Read ``BINANCE_BASE_URL`` (optional) from the environment."""
        values = os.environ if environment is None else environment
        return cls(base_url=values.get("BINANCE_BASE_URL") or DEFAULT_BASE_URL)


class BinanceClient(ProviderClient):
    """Fetch klines from Binance's public market-data API.

    Parameters
    ----------
    config
        Settings; defaults to :meth:`BinanceClientConfig.from_environment`.
    transport
        Optional httpx transport (tests); normally the network.
    sleep
        Sleep used for backoff and rate limiting (injected in tests).
    clock
        Current time, time-zone aware (injected in tests); decides which bars are complete.
    """

    def __init__(
        self,
        config: BinanceClientConfig | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config or BinanceClientConfig.from_environment()
        self._clock = clock
        super().__init__(
            provider="Binance",
            retry=self.config.retry,
            requests_per_second=self.config.requests_per_second,
            error_mapper=_binance_error,
            transport=transport,
            sleep=sleep,
        )

    def fetch_klines(
        self,
        symbol: str,
        interval: str,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        complete_only: bool = True,
    ) -> pd.DataFrame:
        """Klines whose open time lies in ``[start, end)``, paging through the range.

        Parameters
        ----------
        symbol
            Binance symbol, e.g. ``"BTCUSDT"`` (any case).
        interval
            Binance interval: ``1m``, ``5m``, ``1h``, ``4h``, ``1d``, ... (see :data:`INTERVALS`).
        start, end
            Range bounds; naive datetimes and dates are UTC.
        complete_only
            Drop the kline still in progress (its close is not final yet).

        Returns
        -------
        pandas.DataFrame
            Index ``time`` (kline open time, naive UTC like LEAN crypto data), float64
            ``open, high, low, close, volume`` (volume in the base asset) and
            ``end_time`` (open time plus the interval).

        Raises
        ------
        UnknownSymbolError
            Binance answered error -1121 (invalid symbol).
        MalformedResponseError
            A page is not a list of 12-field klines with numeric values.
        RateLimitedError, ProviderUnavailableError, ProviderRequestError
            As raised by the HTTP layer.
        """
        symbol_code = symbol.strip().upper()
        if not _SYMBOL.match(symbol_code):
            raise UnknownSymbolError(f"Binance: {symbol!r} is not a valid symbol")
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}; got {interval!r}")
        start_ms, end_ms = to_utc_milliseconds(start), to_utc_milliseconds(end)
        if end_ms <= start_ms:
            raise ValueError(f"end {end} must be after start {start}")
        rows: list[list[Any]] = []
        cursor = start_ms
        url = f"{self.config.base_url}{KLINES_PATH}"
        while cursor < end_ms:
            params: dict[str, str | int] = {
                "symbol": symbol_code,
                "interval": interval,
                "startTime": cursor,
                "endTime": end_ms - 1,
                "limit": self.config.page_limit,
            }
            page = self._http.get(url, params)
            klines = _validated_page(page, cursor=cursor, end_ms=end_ms)
            rows += klines
            if len(klines) < self.config.page_limit:
                break
            cursor = int(klines[-1][0]) + 1
        bars = _klines_frame(rows, INTERVALS[interval])
        return complete_bars(bars, now=self._clock(), time_zone="UTC") if complete_only else bars


def _validated_page(page: Any, *, cursor: int, end_ms: int) -> list[list[Any]]:
    if not isinstance(page, list):
        raise MalformedResponseError(f"Binance: klines page is not a list: {str(page)[:120]}")
    previous = cursor - 1
    for number, kline in enumerate(page):
        if not isinstance(kline, list) or len(kline) != KLINE_FIELDS:
            raise MalformedResponseError(
                f"Binance: kline {number} of the page starting {cursor} is not a {KLINE_FIELDS}-field list: "
                f"{str(kline)[:120]}"
            )
        try:
            open_time = int(kline[0])
            values = [float(v) for v in kline[1:6]]
        except (TypeError, ValueError):
            raise MalformedResponseError(
                f"Binance: kline {number} of the page starting {cursor} has non-numeric values: {kline[:6]}"
            ) from None
        if not all(math.isfinite(v) for v in values):
            raise MalformedResponseError(
                f"Binance: kline {number} has non-finite values: {kline[:6]}"
            )
        if open_time <= previous or open_time >= end_ms:
            raise MalformedResponseError(
                f"Binance: kline {number} opens at {open_time}, outside the requested range or out of order"
            )
        previous = open_time
    return page


def _klines_frame(rows: list[list[Any]], interval: pd.Timedelta) -> pd.DataFrame:
    times = naive_times([int(row[0]) for row in rows], time_zone="UTC")
    values = np.array([[float(v) for v in row[1:6]] for row in rows], dtype=np.float64).reshape(
        -1, 5
    )
    frame = pd.DataFrame(
        values, columns=list(TRADE_COLUMNS), index=pd.DatetimeIndex(times, name=INDEX_NAME)
    )
    frame[END_TIME_COLUMN] = frame.index + interval
    return frame


def _binance_error(response: httpx.Response) -> Exception | None:
    body = error_body(response)
    if not isinstance(body, dict) or "code" not in body:
        return None
    code, message = body.get("code"), body.get("msg", "")
    if code == INVALID_SYMBOL_CODE:
        symbol = response.request.url.params.get("symbol", "?")
        return UnknownSymbolError(f"Binance does not know symbol {symbol!r} ({code}: {message})")
    return ProviderRequestError(f"Binance error {code}: {message} (HTTP {response.status_code})")
