"""Provider clients as :data:`~market_data.ingest.run.Fetch` functions for :func:`ingest`."""

from __future__ import annotations

import pandas as pd

from market_data.ingest.run import Fetch
from market_data.lean_format.layout import SeriesKey
from market_data.lean_format.timing import DATA_TIME_ZONES
from market_data.providers.exchange import RESOLUTION_TIMEFRAMES, ExchangeClient
from market_data.providers.polygon import PolygonClient

POLYGON_TIMESPANS = {"daily": "day", "hour": "hour", "minute": "minute"}


def exchange_fetch(client: ExchangeClient, symbol: str | None = None) -> Fetch:
    """Fetch crypto bars through a CCXT :class:`ExchangeClient`.

    Parameters
    ----------
    client
        The exchange client (its exchange should be the series' LEAN market).
    symbol
        Exchange symbol (``"BTC/USDT"``); default the series' LEAN ticker, resolved by
        the client (``btcusdt`` -> ``BTC/USDT``).
    """

    def fetch(series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        if series.security_type != "crypto":
            raise ValueError(f"{client.name} serves crypto series, not {series.security_type}")
        timeframe = RESOLUTION_TIMEFRAMES[series.resolution]
        # crypto data time is UTC, the client's reading of naive bounds
        return client.fetch_ohlcv(symbol or series.symbol, timeframe, start, end)

    return fetch


def polygon_fetch(client: PolygonClient, ticker: str | None = None) -> Fetch:
    """Fetch US equity bars (regular and extended hours) through a :class:`PolygonClient`.

    Parameters
    ----------
    client
        The Polygon client.
    ticker
        Polygon ticker; default the series' symbol in upper case.
    """

    def fetch(series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        zone = DATA_TIME_ZONES[series.security_type]
        first = pd.Timestamp(start).tz_localize(zone).tz_convert("UTC").to_pydatetime()
        last = (pd.Timestamp(end).tz_localize(zone) - pd.Timedelta(milliseconds=1)).tz_convert(
            "UTC"
        )
        bars = client.fetch_aggregates(
            ticker or series.symbol.upper(),
            1,
            POLYGON_TIMESPANS[series.resolution],
            first,
            last.to_pydatetime(),
            time_zone=zone,
        )
        return bars.loc[(bars.index >= start) & (bars.index < end)]

    return fetch
