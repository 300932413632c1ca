"""OHLCV bars from any crypto exchange CCXT supports (Binance by default).

CCXT knows each exchange's endpoints, symbols, paging and error codes; this module adds
what the project needs on top: bars in the :func:`market_data.lean.read_bars` crypto shape,
paging by ``since``/``limit`` over a half-open range, only closed bars, retries with the
project's :class:`~market_data.providers.retry.RetryConfig` and errors typed as the other
providers' (:mod:`market_data.providers.errors`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Final, Self
from urllib.parse import urlsplit

import ccxt
import numpy as np
import pandas as pd

from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS
from market_data.providers.errors import (
    AuthenticationError,
    MalformedResponseError,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from market_data.providers.http import check_base_url, check_page_limit, check_rate
from market_data.providers.retry import RetryConfig, Sleep, retry_after_seconds
from market_data.providers.times import complete_bars, naive_times, to_utc_milliseconds

DEFAULT_EXCHANGE: Final = "binance"
RESOLUTION_TIMEFRAMES: Final[Mapping[str, str]] = MappingProxyType(
    {"daily": "1d", "hour": "1h", "minute": "1m"}
)
"""CCXT timeframe of each LEAN resolution."""

DEFAULT_OPTIONS: Final[Mapping[str, Mapping[str, Any]]] = MappingProxyType(
    {"binance": MappingProxyType({"fetchMarkets": {"types": ["spot"]}})}
)
"""Exchange options applied unless the config overrides them: Binance loads only its spot
markets (one ``exchangeInfo`` request instead of three; LEAN's Binance data is spot)."""

_OHLCV_FIELDS: Final = 6


@dataclass(frozen=True)
class ExchangeClientConfig:
    """Settings of :class:`ExchangeClient`.

    Parameters
    ----------
    exchange_id
        CCXT exchange id (``ccxt.exchanges``), e.g. ``"binance"``, ``"coinbase"``, ``"kraken"``.
    base_url
        Scheme and host every API URL of the exchange is pointed at (tests, proxies);
        ``None`` keeps the exchange's own hosts. Paths are kept.
    page_limit
        Bars asked for per request (the exchange may cap it lower).
    enable_rate_limit
        Let CCXT space requests by the exchange's documented limits (``enableRateLimit``).
    requests_per_second
        Overrides CCXT's request rate for the exchange (``rateLimit``); ``None`` keeps it.
    retry
        Retry, backoff and timeout policy, as the other provider clients use it.
    options
        Extra CCXT exchange options, merged over :data:`DEFAULT_OPTIONS`.
    """

    exchange_id: str = DEFAULT_EXCHANGE
    base_url: str | None = None
    page_limit: int = 1000
    enable_rate_limit: bool = True
    requests_per_second: float | None = None
    retry: RetryConfig = field(default_factory=RetryConfig)
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.exchange_id not in ccxt.exchanges:
            raise ValueError(f"{self.exchange_id!r} is not a CCXT exchange id")
        if self.base_url is not None:
            object.__setattr__(self, "base_url", check_base_url(self.base_url))
        check_page_limit(self.page_limit, 100_000)
        if self.requests_per_second is not None:
            check_rate("requests_per_second", self.requests_per_second)


class ExchangeClient:
    """Fetch OHLCV bars from one CCXT exchange.

    Parameters
    ----------
    config
        Settings; Binance with CCXT's defaults when omitted.
    sleep
        Sleep used for the retry backoff (injected in tests).
    clock
        Current time, time-zone aware (injected in tests); decides which bars are closed.
    """

    def __init__(
        self,
        config: ExchangeClientConfig | None = None,
        *,
        sleep: Sleep = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config or ExchangeClientConfig()
        self._sleep = sleep
        self._clock = clock
        self.exchange = _build_exchange(self.config)
        self.requests_made = 0

    @property
    def name(self) -> str:
        """The exchange's CCXT id (also its LEAN market name for the big exchanges)."""
        return self.config.exchange_id

    def close(self) -> None:
        """Release the exchange's HTTP session."""
        session = getattr(self.exchange, "session", None)
        if session is not None:
            session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def resolve_symbol(self, symbol: str) -> str:
        """CCXT's unified symbol for ``symbol``.

        Accepts a unified symbol (``"BTC/USDT"``), an exchange market id (``"BTCUSDT"``)
        or a LEAN ticker (``"btcusdt"``: the id compared case-insensitively without
        separators).

        Raises
        ------
        UnknownSymbolError
            The exchange lists no such market (or the ticker is ambiguous).
        """
        markets: dict[str, Any] = self._call(self.exchange.load_markets, what="load markets")
        if symbol in markets:
            return symbol
        by_id = self.exchange.markets_by_id or {}
        if symbol in by_id:
            return str(by_id[symbol][0]["symbol"])
        wanted = _squashed(symbol)
        found = sorted(
            {
                str(market["symbol"])
                for market in markets.values()
                if market.get("spot", True) and _squashed(str(market.get("id", ""))) == wanted
            }
        )
        if len(found) == 1:
            return found[0]
        detail = f" (could be {', '.join(found)})" if found else ""
        raise UnknownSymbolError(f"{self.name} lists no market {symbol!r}{detail}")

    def fetch_ohlcv(
        self,
        symbol: str,
        timeframe: str,
        start: date | datetime | str,
        end: date | datetime | str,
        *,
        complete_only: bool = True,
    ) -> pd.DataFrame:
        """Bars whose start time lies in ``[start, end)``, paging with ``since``/``limit``.

        Parameters
        ----------
        symbol
            Unified symbol, exchange market id or LEAN ticker (see :meth:`resolve_symbol`).
        timeframe
            CCXT timeframe the exchange serves, e.g. ``"1m"``, ``"1h"``, ``"1d"``.
        start, end
            Range bounds; naive datetimes and dates are UTC.
        complete_only
            Drop bars not yet closed at the clock's now (their ``end_time`` is later).

        Returns
        -------
        pandas.DataFrame
            Index ``time`` (bar start, naive UTC like LEAN crypto data), float64
            ``open, high, low, close, volume`` (a value the exchange left out is NaN, for
            the ingestion's validation to refuse) and ``end_time`` (start plus the
            timeframe), sorted by time.

        Raises
        ------
        UnknownSymbolError, AuthenticationError, RateLimitedError, ProviderUnavailableError,
        MalformedResponseError, ProviderRequestError
            CCXT's errors, typed like the other providers' (transient ones after retries).
        """
        unified = self.resolve_symbol(symbol)
        timeframes = self.exchange.timeframes or {}
        if timeframe not in timeframes:
            raise ValueError(
                f"{self.name} serves timeframes {', '.join(timeframes)}; got {timeframe!r}"
            )
        step_ms = int(self.exchange.parse_timeframe(timeframe)) * 1000
        start_ms, end_ms = to_utc_milliseconds(start), to_utc_milliseconds(end)
        if end_ms <= start_ms:
            raise ValueError(f"end {end} must be after start {start}")
        rows: list[list[float]] = []
        cursor = start_ms
        while cursor < end_ms:
            page = self._page(unified, timeframe, cursor)
            inside = [row for row in page if cursor <= row[0] < end_ms]
            rows += inside
            if not page:
                break
            last = max(int(row[0]) for row in page)
            cursor = max(cursor, last) + step_ms
        bars = _ohlcv_frame(rows, pd.Timedelta(milliseconds=step_ms))
        return complete_bars(bars, now=self._clock(), time_zone="UTC") if complete_only else bars

    def _page(self, symbol: str, timeframe: str, since: int) -> list[list[float]]:
        exchange = self.exchange
        limit = self.config.page_limit

        def request() -> Any:
            exchange.last_json_response = None
            page = exchange.fetch_ohlcv(symbol, timeframe, since=since, limit=limit)
            if exchange.last_json_response is None:
                body = str(exchange.last_http_response or "")[:80]
                raise ccxt.BadResponse(f"response is not complete JSON: {body!r}")
            return page

        page = self._call(request, what=f"fetch {symbol} {timeframe} bars from {since}")
        return _validated_page(page, exchange=self.name, since=since)

    def _call(self, action: Callable[[], Any], *, what: str) -> Any:
        retry = self.config.retry
        for attempt in range(1, retry.max_attempts + 1):
            self.requests_made += 1
            try:
                return action()
            except ccxt.BaseError as error:
                typed, retryable = _typed_error(error)
                if not retryable:
                    raise typed(f"{self.name}: {what}: {error}") from error
                wait = self._retry_after(error)
                if wait is not None and wait > retry.max_retry_after_seconds:
                    raise typed(
                        f"{self.name}: {what}: Retry-After {wait:g}s exceeds the "
                        f"{retry.max_retry_after_seconds:g}s this client waits; try again later"
                    ) from error
                if attempt == retry.max_attempts:
                    raise typed(
                        f"{self.name}: {what}: {type(error).__name__}: {error}; "
                        f"gave up after {attempt} attempt(s)"
                    ) from error
                self._sleep(wait if wait is not None else retry.backoff_seconds(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_after(self, error: ccxt.BaseError) -> float | None:
        if not isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
            return None
        headers = self.exchange.last_response_headers or {}
        return retry_after_seconds(headers.get("Retry-After"))


def _build_exchange(config: ExchangeClientConfig) -> Any:
    options = dict(DEFAULT_OPTIONS.get(config.exchange_id, {})) | dict(config.options)
    settings: dict[str, Any] = {
        "enableRateLimit": config.enable_rate_limit,
        "timeout": int(config.retry.timeout_seconds * 1000),
        "options": options,
    }
    if config.requests_per_second is not None and not math.isinf(config.requests_per_second):
        settings["rateLimit"] = 1000.0 / config.requests_per_second
    exchange = getattr(ccxt, config.exchange_id)(settings)
    exchange.enableLastJsonResponse = True
    exchange.enableLastHttpResponse = True
    exchange.enableLastResponseHeaders = True
    if config.base_url is not None:
        exchange.urls["api"] = _rebased(exchange.urls["api"], config.base_url)
    return exchange


def _rebased(urls: Any, base_url: str) -> Any:
    """The same URL tree with every URL's scheme and host replaced by ``base_url``'s."""
    if isinstance(urls, str):
        parts = urlsplit(urls)
        if not parts.scheme:
            return urls
        return base_url + parts.path + (f"?{parts.query}" if parts.query else "")
    if isinstance(urls, dict):
        return {key: _rebased(value, base_url) for key, value in urls.items()}
    return urls


def _typed_error(error: ccxt.BaseError) -> tuple[type[ProviderError], bool]:
    """The provider error for a CCXT error, and whether trying again may help."""
    if isinstance(error, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return RateLimitedError, True
    if isinstance(error, ccxt.NetworkError):
        return ProviderUnavailableError, True
    if isinstance(error, ccxt.BadResponse):
        return MalformedResponseError, True
    if isinstance(error, ccxt.BadSymbol):
        return UnknownSymbolError, False
    if isinstance(error, ccxt.AuthenticationError):
        return AuthenticationError, False
    return ProviderRequestError, False


def _validated_page(page: Any, *, exchange: str, since: int) -> list[list[float]]:
    if not isinstance(page, list):
        raise MalformedResponseError(
            f"{exchange}: OHLCV page from {since} is not a list: {str(page)[:120]}"
        )
    rows: list[list[float]] = []
    for number, row in enumerate(page):
        if not isinstance(row, list | tuple) or len(row) < _OHLCV_FIELDS:
            raise MalformedResponseError(
                f"{exchange}: candle {number} of the page from {since} is not a "
                f"{_OHLCV_FIELDS}-field list: {str(row)[:120]}"
            )
        stamp = row[0]
        if not isinstance(stamp, int | float) or isinstance(stamp, bool) or not stamp == stamp:
            raise MalformedResponseError(
                f"{exchange}: candle {number} of the page from {since} has no timestamp: {row}"
            )
        values = [_number(value) for value in row[1:_OHLCV_FIELDS]]
        rows.append([float(int(stamp)), *values])
    return rows


def _number(value: Any) -> float:
    """A candle value as float; a missing or unreadable one is NaN (refused later)."""
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _ohlcv_frame(rows: list[list[float]], step: pd.Timedelta) -> pd.DataFrame:
    ordered = sorted(rows, key=lambda row: row[0])
    times = naive_times([int(row[0]) for row in ordered], time_zone="UTC")
    values = np.array([row[1:] for row in ordered], dtype=np.float64).reshape(-1, 5)
    frame = pd.DataFrame(
        values, columns=list(TRADE_COLUMNS), index=pd.DatetimeIndex(times, name=INDEX_NAME)
    )
    frame[END_TIME_COLUMN] = frame.index + step
    return frame


def _squashed(text: str) -> str:
    return "".join(character for character in text.lower() if character.isalnum())
