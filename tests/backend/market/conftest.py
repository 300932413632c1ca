"""Fixtures of the market tests."""

from tests.backend.market.feed_support import exchange

__all__ = ["exchange"]
