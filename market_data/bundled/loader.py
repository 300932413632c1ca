"""Daily US stock prices bundled with the ``bokeh_sampledata`` package, as LEAN-shaped bars.

The data are Quandl WIKI prices (declared public domain by Quandl), 2000-03-01 to
2013-03-01 for AAPL, IBM and MSFT, from 2004-08-19 for GOOG (Google's pre-2014 class A
history) and from 2012-05-18 for FB. The source gives raw open, high, low, close and
volume plus a split- and dividend-adjusted close.
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Sequence
from importlib import resources
from typing import Final, Literal

import numpy as np
import pandas as pd

from market_data.bundled.splits import split_adjustment, split_ratios
from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS
from market_data.lean_format.timing import bar_end_times

BUNDLED_SYMBOLS: Final = ("AAPL", "GOOG", "IBM", "MSFT")
"""Symbols loaded by default: the four with long histories."""

EXTRA_SYMBOLS: Final = ("FB",)
"""Also in the file, only on request: FB has under a year of history (2012-05 on)."""

Adjustment = Literal["split", "split_and_dividend", "none"]


class BundledDataError(ValueError):
    """The bundled data cannot serve a request (unknown symbol, unreadable package file)."""


def load_bundled_daily(
    symbols: Sequence[str] | None = None, *, adjustment: Adjustment = "split"
) -> dict[str, pd.DataFrame]:
    """Load the bundled daily bars, one frame per symbol.

    Parameters
    ----------
    symbols
        Tickers to load (any case); ``None`` loads :data:`BUNDLED_SYMBOLS`.
    adjustment
        ``"split"`` (default): open, high, low and close are divided by the splits that
        happened later, volume multiplied, so the series has no split jumps and the last
        bar is unchanged; dividends are *not* included, so returns exclude them.
        ``"split_and_dividend"``: prices scaled by the source's adjusted close / close
        ratio, renormalised so the last bar is unchanged (total-return prices).
        ``"none"``: raw prices as traded.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by upper-case ticker; frames shaped like :func:`market_data.lean_format.read_bars`
        returns for US equity daily bars: index ``time`` (midnight of the trading day),
        float64 ``open, high, low, close, volume`` and ``end_time`` (16:00 that day).

    Raises
    ------
    BundledDataError
        For a ticker the bundle does not hold, or an unknown adjustment.
    """
    if adjustment not in ("split", "split_and_dividend", "none"):
        raise BundledDataError(
            f"adjustment must be 'split', 'split_and_dividend' or 'none'; got {adjustment!r}"
        )
    wanted = [s.strip().upper() for s in (BUNDLED_SYMBOLS if symbols is None else symbols)]
    known = (*BUNDLED_SYMBOLS, *EXTRA_SYMBOLS)
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise BundledDataError(
            f"the bundled data has no {', '.join(unknown)}; available: {', '.join(known)}"
        )
    table = _read_table()
    return {symbol: _bars(table[table["ticker"] == symbol], adjustment) for symbol in wanted}


@functools.cache
def _read_table() -> pd.DataFrame:
    """The whole bundled table, parsed once per process (callers never modify it)."""
    path = resources.files("bokeh_sampledata").joinpath("_data", "stocks.csv.gz")
    try:
        with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as text:
            table = pd.read_csv(text)
    except (OSError, ValueError) as error:
        raise BundledDataError(f"cannot read the bundled stock prices ({error})") from None
    table.columns = ["ticker", "date", "open", "high", "low", "close", "volume", "adjusted_close"]
    table["date"] = pd.to_datetime(table["date"], format="%Y-%m-%d")
    return table


def _bars(rows: pd.DataFrame, adjustment: Adjustment) -> pd.DataFrame:
    rows = rows.sort_values("date")
    index = pd.DatetimeIndex(rows["date"].to_numpy(), name=INDEX_NAME)
    values = rows[list(TRADE_COLUMNS)].astype(np.float64).set_axis(index)
    close = values["close"]
    adjusted = pd.Series(rows["adjusted_close"].to_numpy(dtype=np.float64), index=index)
    if adjustment == "split":
        multiplier = split_adjustment(split_ratios(close, adjusted))
    elif adjustment == "split_and_dividend":
        ratio = adjusted / close
        multiplier = ratio / ratio.iloc[-1]
    else:
        multiplier = pd.Series(1.0, index=index)
    prices = ["open", "high", "low", "close"]
    values[prices] = values[prices].mul(multiplier, axis=0)
    values["volume"] = values["volume"] / multiplier
    values[END_TIME_COLUMN] = bar_end_times(index, security_type="equity", resolution="daily")
    return values
