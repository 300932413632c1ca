"""Building blocks of the feature library: causal window math on wide frames.

Every function here maps wide frames (time x asset) to a frame of the same shape
whose row ``t`` depends on rows ``<= t`` only, and never mixes assets except the
cross-sectional ones, which mix the assets of one row only.

Undefined values follow one rule: NaN while a window is not yet full or holds a
missing bar; a ratio whose denominator is exactly zero (a flat bar or window, no
volume, no variance) is the neutral value given by the caller (usually 0), so a
quiet asset keeps a complete feature row instead of dropping out of the model.

:func:`sharing` lets one :func:`~alpha_models.features.compute_features` call
compute each intermediate (log close, rolling extremes, ...) once for all the
features that use it; outside it every function computes from scratch, and the
values are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from alpha_models.arrays import Array

T = TypeVar("T")


@dataclass
class _Shared:
    panel: object
    values: dict[Hashable, Any] = field(default_factory=dict)


_ACTIVE: ContextVar[_Shared | None] = ContextVar("alpha_models_feature_sharing", default=None)


@contextmanager
def sharing(panel: object) -> Iterator[None]:
    """Compute each intermediate of ``panel`` at most once inside the block."""
    token = _ACTIVE.set(_Shared(panel))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def shared(panel: object, key: Hashable, compute: Callable[[], T]) -> T:
    """Return ``compute()``, remembered under ``key`` while :func:`sharing` ``panel``.

    Callers must not modify the returned object.
    """
    active = _ACTIVE.get()
    if active is None or active.panel is not panel:
        return compute()
    if key not in active.values:
        active.values[key] = compute()
    return cast(T, active.values[key])


def remember_feature(
    panel: object, function: Callable[..., object], values: Callable[[], pd.DataFrame]
) -> None:
    """Record, while :func:`sharing` ``panel``, where a computed feature's values are.

    ``values`` returns them as a frame (e.g. from the matrix being filled), so a
    cross-sectional feature built on ``function`` reads them instead of computing
    the feature again, and no second copy is kept meanwhile.
    """
    active = _ACTIVE.get()
    if active is not None and active.panel is panel:
        active.values.setdefault(("feature", function), values)


def feature_values(panel: object, function: Callable[[Any], pd.DataFrame]) -> pd.DataFrame:
    """Return ``function(panel)``, or the values recorded by :func:`remember_feature`."""
    active = _ACTIVE.get()
    if active is not None and active.panel is panel:
        stored = active.values.get(("feature", function))
        if stored is not None:
            return cast(pd.DataFrame, stored())
    return function(panel)


def like(values: Array, frame: pd.DataFrame) -> pd.DataFrame:
    """Wrap a (time, asset) array with the index and columns of ``frame``."""
    return pd.DataFrame(values, index=frame.index, columns=frame.columns, copy=False)


def array(frame: pd.DataFrame) -> Array:
    """Return a frame's values as float64 (NaN for missing)."""
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def positive_log(values: Array) -> Array:
    """Natural log of the positive entries; NaN for zero, negative or missing ones."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def ratio_or(numerator: Array, denominator: Array, empty: float) -> Array:
    """``numerator / denominator``; ``empty`` where the denominator is exactly zero.

    NaN wherever either input is NaN.
    """
    zero = denominator == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / np.where(zero, 1.0, denominator)
    if not zero.any():
        return np.asarray(result, dtype=np.float64)
    return np.where(zero, np.where(np.isnan(numerator), np.nan, empty), result)


def _trailing(values: Array, window: int, body: Array | None) -> Array:
    """Place per-window results (rows ``window - 1`` on) in a NaN-filled array."""
    result = np.full(values.shape, np.nan)
    if body is not None:
        result[window - 1 :] = body
    return result


def window_sum(values: Array, window: int) -> Array:
    """Sum of each trailing window of ``window`` rows, added in a fixed order.

    Exact per window: a value depends on its own window's values only (not on
    where the array starts), and is NaN while the window is not full or holds NaN.
    """
    rows = values.shape[0]
    if rows < window:
        return _trailing(values, window, None)
    count = rows - window + 1
    total = values[:count].copy()
    for offset in range(1, window):
        total += values[offset : offset + count]
    return _trailing(values, window, total)


def window_extreme(values: Array, window: int, *, largest: bool) -> Array:
    """Largest (or smallest) value of each trailing window; NaN if the window holds NaN."""
    rows = values.shape[0]
    if rows < window:
        return _trailing(values, window, None)
    count = rows - window + 1
    pick = np.maximum if largest else np.minimum
    best = values[:count].copy()
    for offset in range(1, window):
        pick(best, values[offset : offset + count], out=best)
    return _trailing(values, window, best)


def window_rank(values: Array, window: int) -> Array:
    """Average rank (1 = lowest) of each row's value within its trailing window."""
    rows = values.shape[0]
    if rows < window:
        return _trailing(values, window, None)
    count = rows - window + 1
    newest = values[window - 1 :]
    below = np.zeros(newest.shape)
    ties = np.zeros(newest.shape)
    total = newest.copy()
    for offset in range(window - 1):
        past = values[offset : offset + count]
        below += past < newest
        ties += past == newest
        total += past
    rank = below + ties / 2.0 + 1.0
    rank[np.isnan(total)] = np.nan
    return _trailing(values, window, rank)


def window_quantiles(values: Array, window: int, levels: tuple[float, ...]) -> list[Array]:
    """Quantiles (linear interpolation) of each trailing window, one array per level.

    Each window is sorted on its own, so a value is an exact function of its window.
    """
    rows, assets = values.shape
    results = [np.full(values.shape, np.nan) for _ in levels]
    if rows < window:
        return results
    view = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)
    step = max(1, _SORT_BLOCK_VALUES // max(1, assets * window))
    picks = []
    for level in levels:
        position = level * (window - 1)
        low = int(np.floor(position))
        picks.append((low, min(low + 1, window - 1), position - low))
    for start in range(0, view.shape[0], step):
        ordered = np.sort(view[start : start + step], axis=-1)
        missing = np.isnan(ordered[..., -1])
        rows_out = slice(window - 1 + start, window - 1 + start + ordered.shape[0])
        for result, (low, high, fraction) in zip(results, picks, strict=True):
            below = ordered[..., low]
            quantile = below + fraction * (ordered[..., high] - below)
            quantile[missing] = np.nan
            result[rows_out] = quantile
    return results


_SORT_BLOCK_VALUES = 1 << 22


def rolling_mean(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """Mean over the last ``window`` bars; NaN until full or with a missing bar."""
    return like(window_sum(array(frame), window) / window, frame)


def rolling_var(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """Sample variance (ddof 1) over the last ``window`` bars; exactly 0 when constant.

    pandas's online variance: one pass whatever the window, and an exact 0 for a
    constant window.
    """
    return frame.rolling(window, min_periods=window).var()


def rolling_max(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """Largest value of the last ``window`` bars."""
    return like(window_extreme(array(frame), window, largest=True), frame)


def rolling_min(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """Smallest value of the last ``window`` bars."""
    return like(window_extreme(array(frame), window, largest=False), frame)


def rolling_quantiles(
    frame: pd.DataFrame, window: int, levels: tuple[float, ...]
) -> list[pd.DataFrame]:
    """Quantiles (linear interpolation) of the last ``window`` bars, one frame per level."""
    return [like(values, frame) for values in window_quantiles(array(frame), window, levels)]


def rolling_position(frame: pd.DataFrame, window: int) -> pd.DataFrame:
    """Where the newest value ranks among the last ``window`` values, in [-0.5, 0.5].

    The rank counts ties as their average rank; -0.5 is the lowest, 0.5 the highest.
    """
    return like((window_rank(array(frame), window) - 1.0) / (window - 1) - 0.5, frame)


def rolling_correlation(
    x: pd.DataFrame, y: pd.DataFrame, window: int, *, levels: bool = False
) -> pd.DataFrame:
    """Pearson correlation of ``x`` and ``y`` over the last ``window`` bars, asset by asset.

    0 where either series is constant over the window; clipped to [-1, 1]. With
    ``levels`` (series far from 0, like log prices) the means are pandas's
    compensated rolling means, because E[xy] - E[x]E[y] then cancels badly; for
    changes (near 0) plain window sums are as accurate and faster.
    """
    both = x.notna().to_numpy() & y.notna().to_numpy()
    x_values = np.where(both, array(x), np.nan)
    y_values = np.where(both, array(y), np.nan)
    x_frame, y_frame = like(x_values, x), like(y_values, x)
    products = x_values * y_values
    if levels:
        mean_xy = array(like(products, x).rolling(window, min_periods=window).mean())
        mean_x = array(x_frame.rolling(window, min_periods=window).mean())
        mean_y = array(y_frame.rolling(window, min_periods=window).mean())
    else:
        mean_xy = window_sum(products, window) / window
        mean_x = window_sum(x_values, window) / window
        mean_y = window_sum(y_values, window) / window
    covariance = np.asarray((mean_xy - mean_x * mean_y) * (window / (window - 1)))
    spread = np.sqrt(array(rolling_var(x_frame, window)) * array(rolling_var(y_frame, window)))
    return like(np.clip(ratio_or(covariance, spread, 0.0), -1.0, 1.0), x)


def rolling_slope(values: Array, window: int) -> Array:
    """Least-squares slope of the last ``window`` values on their bar number; NaN before full.

    The slope is ``sum_k c_k * y_k`` with weights ``c_k`` proportional to
    ``k - (window - 1) / 2``; the weights are antisymmetric, so it is summed as
    ``c_k * (y_k - y_mirror)`` over the newer half: differences of nearby values
    (accurate, and exactly 0 for a constant window). A value depends on its own
    window only, in a fixed order.
    """
    offsets = np.arange(window, dtype=np.float64) - (window - 1) / 2.0
    weights = offsets / float(np.sum(offsets * offsets))
    rows = values.shape[0]
    result = np.full(values.shape, np.nan)
    if rows < window:
        return result
    count = rows - window + 1
    total = np.zeros((count, *values.shape[1:]))
    for newer in range(window - 1, (window - 1) // 2, -1):
        older = window - 1 - newer
        total += weights[newer] * (values[newer : newer + count] - values[older : older + count])
    result[window - 1 :] = total
    return result


def _check_cross_section(frame: pd.DataFrame) -> None:
    if frame.shape[1] < 2:
        raise ValueError(
            f"cross-sectional features need more than one asset in the panel (got {frame.shape[1]})"
        )


def cross_sectional_rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Rank of each asset among the assets with a value at the same time, in [-0.5, 0.5].

    Ties take their average rank; a lone value at its time is 0; NaN stays NaN.

    Raises
    ------
    ValueError
        If the frame has fewer than two assets.
    """
    _check_cross_section(frame)
    values = array(frame)
    finite = np.isfinite(values)
    values = np.where(finite, values, np.nan)
    ranks = array(like(values, frame).rank(axis=1, method="average"))
    count = finite.sum(axis=1, keepdims=True).astype(np.float64)
    scaled = ratio_or(ranks - 1.0, count - 1.0, 0.0) - 0.5
    lone = np.broadcast_to(count == 1, values.shape) & finite
    scaled[lone] = 0.0
    return like(scaled, frame)


def cross_sectional_deviation(frame: pd.DataFrame) -> pd.DataFrame:
    """Each asset's value minus the mean of the assets with a value at the same time.

    Raises
    ------
    ValueError
        If the frame has fewer than two assets.
    """
    _check_cross_section(frame)
    values = array(frame)
    finite = np.isfinite(values)
    values = np.where(finite, values, np.nan)
    count = finite.sum(axis=1, keepdims=True)
    total = np.where(finite, values, 0.0).sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = total / np.where(count > 0, count, 1)
    return like(values - mean, frame)
