"""Find stock splits in a price history from its adjusted-close / close ratio."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

SPLIT_JUMP_THRESHOLD = 1.2
"""A day-over-day change in adjusted/close ratio beyond this factor is taken as a split.

Dividends move the ratio by a few percent at most, so they stay below it.
"""

MAX_SPLIT_DENOMINATOR = 10


def split_ratios(close: pd.Series, adjusted_close: pd.Series) -> pd.Series:
    """Split ratio effective at each bar (1.0 where there was no split).

    A 2-for-1 split on day ``t`` halves the raw close while the adjusted close carries
    on, so ``(adjusted / close)_t / (adjusted / close)_{t-1}`` jumps to 2. Jumps beyond
    :data:`SPLIT_JUMP_THRESHOLD` either way are rounded to the nearest simple fraction
    (denominator at most 10: 2, 3, 3/2, 7, 1/10 for a reverse split ...).

    Parameters
    ----------
    close
        Raw closing prices, ordered by time.
    adjusted_close
        The source's split- and dividend-adjusted closes on the same index.

    Returns
    -------
    pandas.Series
        Ratio of new shares per old share, on the first bar after the split.
    """
    factor = (adjusted_close / close).to_numpy(dtype=np.float64)
    jumps = np.ones_like(factor)
    jumps[1:] = factor[1:] / factor[:-1]
    ratios = np.ones_like(factor)
    is_split = (jumps > SPLIT_JUMP_THRESHOLD) | (jumps < 1.0 / SPLIT_JUMP_THRESHOLD)
    for position in np.flatnonzero(is_split):
        ratios[position] = float(
            Fraction(float(jumps[position])).limit_denominator(MAX_SPLIT_DENOMINATOR)
        )
    return pd.Series(ratios, index=close.index, name="split_ratio")


def split_adjustment(ratios: pd.Series) -> pd.Series:
    """Price multiplier per bar that puts every price in the last bar's share units.

    Bars before a 2-for-1 split get 0.5; bars on or after it get 1. Volumes are divided
    by the same multiplier so that price times volume is unchanged.
    """
    values = ratios.to_numpy(dtype=np.float64)
    later_splits = np.ones_like(values)
    if len(values) > 1:
        # product of the ratios of all splits strictly after each bar
        later_splits[:-1] = np.cumprod(values[::-1])[::-1][1:]
    return pd.Series(1.0 / later_splits, index=ratios.index, name="split_adjustment")
