"""Column layout of LEAN bar files and of the frames the reader returns."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

TRADE_COLUMNS: Final = ("open", "high", "low", "close", "volume")
QUOTE_COLUMNS: Final = (
    "bid_open",
    "bid_high",
    "bid_low",
    "bid_close",
    "bid_size",
    "ask_open",
    "ask_high",
    "ask_low",
    "ask_close",
    "ask_size",
)
SIZE_COLUMNS: Final = frozenset({"volume", "bid_size", "ask_size"})

EQUITY_PRICE_SCALE: Final = 10_000.0
"""US equity prices are stored as integers in units of 1/10,000 dollar (deci-cents)."""

INDEX_NAME: Final = "time"
END_TIME_COLUMN: Final = "end_time"


def value_columns(bar_type: str) -> tuple[str, ...]:
    """Columns of one bar type, in file order."""
    return TRADE_COLUMNS if bar_type == "trade" else QUOTE_COLUMNS


def price_columns(bar_type: str) -> tuple[str, ...]:
    """The price columns (scaled for equity) of one bar type."""
    return tuple(name for name in value_columns(bar_type) if name not in SIZE_COLUMNS)


def empty_bars(bar_type: str = "trade") -> pd.DataFrame:
    """A frame with no rows and the reader's value columns and dtypes."""
    return pd.DataFrame(
        {name: pd.Series(dtype=np.float64) for name in value_columns(bar_type)},
        index=pd.DatetimeIndex([], name=INDEX_NAME, dtype="datetime64[ns]"),
    )
