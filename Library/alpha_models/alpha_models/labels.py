"""Labels: the forward return over the horizon from each bar's close."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alpha_models.arrays import Array
from alpha_models.bars import BarPanel

NOT_A_TIME = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Labels:
    """Forward returns and the times they became known.

    Attributes
    ----------
    forward_return
        Float64 (time, asset): ``close[t + bars] / close[t] - 1``; NaN when unknown.
    label_end
        Int64 nanoseconds (time, asset): ``end_time`` of the bar that closes the
        label window; :data:`NOT_A_TIME` when the label is unknown.
    bars
        The horizon in bars.
    """

    forward_return: Array
    label_end: Array
    bars: int


def forward_returns(panel: BarPanel, bars: int) -> Labels:
    """Compute the simple forward return over ``bars`` bars from each close.

    Parameters
    ----------
    panel
        Aligned bars.
    bars
        Horizon length in bars (at least 1).
    """
    if bars < 1:
        raise ValueError("bars must be at least 1")
    close = panel.close.to_numpy(dtype=np.float64)
    ends = panel.end_times_ns()
    forward = np.full(close.shape, np.nan)
    label_end = np.full(close.shape, NOT_A_TIME, dtype=np.int64)
    if close.shape[0] > bars:
        with np.errstate(divide="ignore", invalid="ignore"):
            forward[:-bars] = close[bars:] / close[:-bars] - 1.0
        label_end[:-bars] = ends[bars:]
    unknown = ~np.isfinite(forward) | (label_end == NOT_A_TIME)
    forward[unknown] = np.nan
    label_end[unknown] = NOT_A_TIME
    return Labels(forward_return=forward, label_end=label_end, bars=bars)
