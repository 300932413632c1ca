"""A feed's series as ``market_data.lean.SeriesKey`` and the bar table's columns for them.

The bar table names a series by ``security_type``, ``market``, ``asset`` (the LEAN symbol
in upper case) and ``interval`` (``1d``, ``1h``, ``1m``); ingestion works on LEAN's
``SeriesKey`` (lower-case symbol, resolution names). Times in the table are UTC; the
ingestion core works on naive times in the series' data time zone (New York for US
equity, UTC for crypto), as LEAN's files do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from market_data.lean import DATA_TIME_ZONES, SeriesKey

if TYPE_CHECKING:
    from .models import Feed

RESOLUTION_INTERVALS = {"daily": "1d", "hour": "1h", "minute": "1m"}
"""The interval names the API and the forecasts use, per LEAN resolution."""
SOURCE_SECURITY_TYPES = {"ccxt": "crypto", "polygon": "equity"}
"""What each feed source serves."""
POLYGON_MARKET = "usa"


def series_key(*, source: str, exchange: str, symbol: str, resolution: str) -> SeriesKey:
    """The LEAN series a feed's symbol is stored as (the exchange is the crypto market)."""
    security_type = SOURCE_SECURITY_TYPES[source]
    market = exchange if source == "ccxt" else POLYGON_MARKET
    return SeriesKey(security_type, market, symbol, resolution)


def feed_series(feed: Feed) -> list[SeriesKey]:
    """Every series of a feed, in the order of its symbols."""
    return [
        series_key(
            source=feed.source, exchange=feed.exchange, symbol=symbol, resolution=feed.resolution
        )
        for symbol in feed.symbols
    ]


def bar_columns(series: SeriesKey) -> dict[str, Any]:
    """The bar table's series columns (a filter or the fixed part of a row)."""
    return {
        "security_type": series.security_type,
        "market": series.market,
        "asset": series.symbol.upper(),
        "interval": RESOLUTION_INTERVALS[series.resolution],
    }


def data_zone(series: SeriesKey) -> str:
    """The series' data time zone."""
    return DATA_TIME_ZONES[series.security_type]


def to_utc(times: pd.DatetimeIndex, series: SeriesKey) -> pd.DatetimeIndex:
    """Naive data times as aware UTC times."""
    return pd.DatetimeIndex(times).tz_localize(data_zone(series)).tz_convert("UTC")


def to_data_time(times: pd.DatetimeIndex, series: SeriesKey) -> pd.DatetimeIndex:
    """Aware times as naive data times (nanosecond unit, as LEAN's reader returns them)."""
    local = pd.DatetimeIndex(times).tz_convert(data_zone(series)).tz_localize(None)
    return local.as_unit("ns")


def moment_utc(moment: pd.Timestamp, series: SeriesKey) -> pd.Timestamp:
    """One naive data time as an aware UTC time."""
    return pd.Timestamp(moment).tz_localize(data_zone(series)).tz_convert("UTC")
