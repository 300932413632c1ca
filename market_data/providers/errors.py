"""Typed errors of the market-data provider clients."""

from __future__ import annotations


class ProviderError(Exception):
    """A market-data provider could not deliver the requested data."""


class UnknownSymbolError(ProviderError):
    """The provider does not know the symbol (e.g. Binance error -1121)."""


class AuthenticationError(ProviderError):
    """The API key is missing, invalid, or not entitled to the data (HTTP 401/403)."""


class RateLimitedError(ProviderError):
    """The provider kept refusing with HTTP 429/418 after every retry, or asked for too long a wait."""


class ProviderUnavailableError(ProviderError):
    """Server errors (5xx), timeouts or broken connections persisted after every retry."""


class MalformedResponseError(ProviderError):
    """The response is not in the documented shape (bad JSON, truncated, wrong fields)."""


class ProviderRequestError(ProviderError):
    """The provider rejected the request (another 4xx), with its own message."""
