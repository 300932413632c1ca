"""Real daily US stock prices that ship with an installed package, so everything runs offline."""

from market_data.bundled.loader import (
    BUNDLED_SYMBOLS,
    EXTRA_SYMBOLS,
    BundledDataError,
    load_bundled_daily,
)
from market_data.bundled.splits import split_adjustment, split_ratios

__all__ = [
    "BUNDLED_SYMBOLS",
    "EXTRA_SYMBOLS",
    "BundledDataError",
    "load_bundled_daily",
    "split_adjustment",
    "split_ratios",
]
