"""Clients for outside market-data APIs (Binance public klines, Polygon aggregates)."""

from market_data.providers.errors import (
    AuthenticationError,
    MalformedResponseError,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from market_data.providers.retry import RateLimiter, RetryConfig

__all__ = [
    "AuthenticationError",
    "MalformedResponseError",
    "ProviderError",
    "ProviderRequestError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RateLimiter",
    "RetryConfig",
    "UnknownSymbolError",
]
