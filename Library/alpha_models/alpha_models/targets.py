"""Training targets: what a model learns, and how its output becomes an expected return.

The label of a row is always the forward return over the horizon
(:func:`alpha_models.labels.forward_returns`); the *training target* is what the model
is fitted on, derived from it:

``raw``
    The forward return itself.
``vol_scaled``
    The forward return divided by the asset's ex-ante volatility over the horizon
    (:func:`ex_ante_volatility`: an exponentially weighted root mean square of the
    one-bar returns in a trailing window of bars ``<= t``, times the square root of
    the horizon in bars). Calm and volatile periods weigh alike in the fit.
``cs_zscore``
    Per date, the forward return minus the mean over the assets, divided by their
    standard deviation (population), across the rows of that date whose labels end
    at the same time. Only differences between assets are learned.
``cs_rank``
    Per date, the rank of the forward return among those assets, centred and scaled
    to unit variance (ties share their average rank).

A date needs at least ``minimum_cross_section`` assets with a label (at least two)
for a cross-sectional target; the rows of dates with fewer are left out of training.
(The walk-forward trains a period on ``raw`` returns when that leaves too few rows.)

Forecasts are always published as expected returns over the horizon
(:func:`to_return_units`): the ``vol_scaled`` output is multiplied by the ex-ante
volatility at the forecast bar; the cross-sectional outputs (z-units) are multiplied by
the version's ``scale``, the median cross-sectional standard deviation of the raw
labels over the last :data:`SCALE_DATES` dates of its training rows (all known when the
period starts). Nothing is added for the date's mean: a cross-sectional model forecasts
how an asset does *relative to the others*, and it publishes that difference in return
units, not the market's move.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from alpha_models.arrays import Array

TARGETS: tuple[str, ...] = ("raw", "vol_scaled", "cs_zscore", "cs_rank")
CROSS_SECTIONAL_TARGETS: tuple[str, ...] = ("cs_zscore", "cs_rank")
SCALE_DATES = 63
"""Most recent training dates whose cross-sectional dispersion sets a version's scale."""

NO_GROUP = -1


@dataclass(frozen=True)
class TargetSpec:
    """A training target as recorded with a model version (part of its recipe).

    Parameters
    ----------
    name
        One of :data:`TARGETS`.
    horizon_bars
        Horizon in bars (``vol_scaled``: the one-bar volatility is scaled by its root).
    volatility_window
        Trailing one-bar returns the ex-ante volatility uses (``vol_scaled``).
    volatility_halflife
        Half-life in bars of the weights of those returns (``vol_scaled``).
    volatility_min_returns
        Fewest finite returns in the window for a volatility to be defined.
    minimum_cross_section
        Fewest assets with a label on a date for the cross-sectional targets.
    scale
        Return units per unit of model output for the cross-sectional targets; 1 otherwise.
    """

    name: str = "raw"
    horizon_bars: int = 1
    volatility_window: int = 60
    volatility_halflife: float = 20.0
    volatility_min_returns: int = 20
    minimum_cross_section: int = 2
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.name not in TARGETS:
            raise ValueError(f"unknown target {self.name!r}; expected one of {list(TARGETS)}")
        if self.horizon_bars < 1:
            raise ValueError("horizon_bars must be at least 1")
        if self.volatility_window < 2 or self.volatility_halflife <= 0:
            raise ValueError("volatility_window must be >= 2 and volatility_halflife positive")
        if not 2 <= self.volatility_min_returns <= self.volatility_window:
            raise ValueError("volatility_min_returns must be in [2, volatility_window]")
        if self.minimum_cross_section < 2:
            raise ValueError("minimum_cross_section must be at least 2")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"scale must be positive and finite, got {self.scale}")

    @property
    def cross_sectional(self) -> bool:
        """Return whether the target is standardized across assets per date."""
        return self.name in CROSS_SECTIONAL_TARGETS

    @property
    def needs_volatility(self) -> bool:
        """Return whether forecasts need the ex-ante volatility at their bar."""
        return self.name == "vol_scaled"

    def with_scale(self, scale: float) -> TargetSpec:
        """Return the spec with ``scale`` (kept at 1 for targets that have none)."""
        return replace(self, scale=float(scale)) if self.cross_sectional else self

    def to_dict(self) -> dict[str, Any]:
        """Return the settings that matter for this target (JSON-serializable)."""
        document: dict[str, Any] = {"name": self.name}
        if self.needs_volatility:
            document.update(
                horizon_bars=self.horizon_bars,
                volatility_window=self.volatility_window,
                volatility_halflife=self.volatility_halflife,
                volatility_min_returns=self.volatility_min_returns,
            )
        if self.cross_sectional:
            document["minimum_cross_section"] = self.minimum_cross_section
            document["scale"] = self.scale
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> TargetSpec:
        """Rebuild from :meth:`to_dict` output."""
        defaults = cls()
        return cls(
            name=str(document.get("name", defaults.name)),
            horizon_bars=int(document.get("horizon_bars", defaults.horizon_bars)),
            volatility_window=int(document.get("volatility_window", defaults.volatility_window)),
            volatility_halflife=float(
                document.get("volatility_halflife", defaults.volatility_halflife)
            ),
            volatility_min_returns=int(
                document.get("volatility_min_returns", defaults.volatility_min_returns)
            ),
            minimum_cross_section=int(
                document.get("minimum_cross_section", defaults.minimum_cross_section)
            ),
            scale=float(document.get("scale", defaults.scale)),
        )

    @classmethod
    def of_version(cls, params: dict[str, Any]) -> TargetSpec:
        """Return the target recorded in a version's ``params`` (``raw`` when absent)."""
        document = params.get("target")
        return cls.from_dict(document) if isinstance(document, dict) else cls()


def ex_ante_volatility(close: Array, spec: TargetSpec) -> Array:
    """Return each (bar, asset)'s volatility over the horizon, from bars up to the bar.

    The one-bar simple returns ``close[t] / close[t-1] - 1`` of the last
    ``volatility_window`` bars (``t`` included) are averaged squared with weights
    ``0.5 ** (age / volatility_halflife)`` (missing returns left out, weights
    renormalized); the root, times ``sqrt(horizon_bars)``, is the volatility. NaN with
    fewer than ``volatility_min_returns`` finite returns or a zero result.

    The window is fixed, so the value at ``t`` is the same (bit for bit) whether it is
    computed on the whole history or on any trailing window of at least
    ``volatility_window + 1`` bars ending at ``t``.

    Parameters
    ----------
    close
        Closing prices, (time, asset).
    spec
        The target's settings.
    """
    prices = np.asarray(close, dtype=np.float64)
    returns = np.full(prices.shape, np.nan)
    if prices.shape[0] > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            returns[1:] = prices[1:] / prices[:-1] - 1.0
    squared = np.where(np.isfinite(returns), returns * returns, np.nan)
    total = np.zeros(prices.shape)
    weight = np.zeros(prices.shape)
    count = np.zeros(prices.shape, dtype=np.int64)
    for age in range(min(spec.volatility_window, prices.shape[0])):
        lagged = squared[: prices.shape[0] - age]
        known = np.isfinite(lagged)
        factor = 0.5 ** (age / spec.volatility_halflife)
        total[age:] += factor * np.where(known, lagged, 0.0)
        weight[age:] += np.where(known, factor, 0.0)
        count[age:] += known
    volatility = np.full(prices.shape, np.nan)
    enough = (count >= spec.volatility_min_returns) & (weight > 0)
    volatility[enough] = np.sqrt(total[enough] / weight[enough] * spec.horizon_bars)
    volatility[~(volatility > 0)] = np.nan
    return volatility


def cross_section_groups(time_index: Array, label_end: Array, has_label: Array) -> Array:
    """Return a group id per row: rows of one bar whose labels end at the same time.

    Rows without a label get :data:`NO_GROUP`. Ids increase with the bar.
    """
    groups = np.full(time_index.shape, NO_GROUP, dtype=np.int64)
    labelled = np.flatnonzero(has_label)
    if labelled.size == 0:
        return groups
    bar, end = time_index[labelled], label_end[labelled]
    # rows come time-major, and usually every label of a bar ends at the same time
    in_order = bool(np.all((bar[1:] > bar[:-1]) | ((bar[1:] == bar[:-1]) & (end[1:] >= end[:-1]))))
    order = np.arange(bar.size) if in_order else np.lexsort((end, bar))
    bar, end = bar[order], end[order]
    starts = np.ones(bar.size, dtype=bool)
    starts[1:] = (bar[1:] != bar[:-1]) | (end[1:] != end[:-1])
    groups[labelled[order]] = np.cumsum(starts) - 1
    return groups


def _group_counts(values: Array, groups: Array) -> tuple[Array, Array, int]:
    usable = np.isfinite(values) & (groups != NO_GROUP)
    size = int(groups.max()) + 1 if groups.size and int(groups.max()) >= 0 else 0
    counts = np.bincount(groups[usable], minlength=size).astype(np.float64)
    return usable, counts, size


def cross_sectional_zscore(values: Array, groups: Array, minimum: int = 2) -> Array:
    """Standardize ``values`` within each group: ``(x - mean) / std`` (population std).

    NaN for rows without a group or a finite value, in groups of fewer than
    ``minimum`` (at least two) values, and in groups whose values are all equal.
    """
    usable, counts, size = _group_counts(values, groups)
    result = np.full(values.shape, np.nan)
    if size == 0:
        return result
    members = groups[usable]
    x = values[usable]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(members, weights=x, minlength=size) / counts
        deviation = x - mean[members]
        std = np.sqrt(np.bincount(members, weights=deviation**2, minlength=size) / counts)
        z = deviation / std[members]
    z[(counts[members] < max(2, minimum)) | ~(std[members] > 0)] = np.nan
    result[usable] = z
    return result


def cross_sectional_rank(values: Array, groups: Array, minimum: int = 2) -> Array:
    """Rank ``values`` within each group, centred and scaled to unit variance.

    The rank ``r`` (0 to ``n - 1``, ties averaged) becomes
    ``(r - (n - 1) / 2) / sqrt((n ** 2 - 1) / 12)``: mean 0 and, without ties,
    standard deviation 1, like a z-score. NaN for rows without a group or a finite
    value and in groups of fewer than ``minimum`` (at least two) values.
    """
    usable, counts, size = _group_counts(values, groups)
    result = np.full(values.shape, np.nan)
    if size == 0:
        return result
    rows = np.flatnonzero(usable)
    members, x = groups[rows], values[rows]
    order = np.lexsort((x, members))
    sorted_groups, sorted_values = members[order], x[order]
    first = np.searchsorted(sorted_groups, sorted_groups, side="left")
    position = np.arange(order.size, dtype=np.float64) - first
    new_run = np.ones(order.size, dtype=bool)
    new_run[1:] = (sorted_groups[1:] != sorted_groups[:-1]) | (
        sorted_values[1:] != sorted_values[:-1]
    )
    run = np.cumsum(new_run) - 1
    average = np.bincount(run, weights=position) / np.bincount(run)
    n = counts[sorted_groups]
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = (average[run] - (n - 1.0) / 2.0) / np.sqrt((n * n - 1.0) / 12.0)
    scaled[n < max(2, minimum)] = np.nan
    ranked = np.empty(order.size)
    ranked[order] = scaled
    result[rows] = ranked
    return result


def training_targets(
    spec: TargetSpec, returns: Array, *, groups: Array, volatility: Array | None
) -> Array:
    """Return the training target of every row (NaN where it is not defined).

    Parameters
    ----------
    spec
        The target.
    returns
        Forward returns of the rows (NaN where unknown).
    groups
        :func:`cross_section_groups` of the rows.
    volatility
        Ex-ante volatility of the rows (needed for ``vol_scaled``).
    """
    if spec.name == "raw":
        return np.asarray(returns, dtype=np.float64)
    if spec.name == "vol_scaled":
        if volatility is None:
            raise ValueError("the vol_scaled target needs the rows' ex-ante volatility")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.asarray(returns / volatility, dtype=np.float64)
    if spec.name == "cs_zscore":
        return cross_sectional_zscore(returns, groups, spec.minimum_cross_section)
    return cross_sectional_rank(returns, groups, spec.minimum_cross_section)


def cross_sectional_scale(returns: Array, groups: Array, mask: Array) -> float:
    """Return the median cross-sectional std of ``returns`` over the last dates of ``mask``.

    Per group (date) among the rows in ``mask``, the population standard deviation of
    the finite returns; the median over the :data:`SCALE_DATES` latest groups with at
    least two returns.

    Raises
    ------
    ValueError
        If no group in ``mask`` has two returns or a positive dispersion.
    """
    chosen = mask & np.isfinite(returns) & (groups != NO_GROUP)
    members = groups[chosen]
    if members.size:
        size = int(members.max()) + 1
        x = returns[chosen]
        counts = np.bincount(members, minlength=size).astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(members, weights=x, minlength=size) / counts
            variance = (
                np.bincount(members, weights=(x - mean[members]) ** 2, minlength=size) / counts
            )
        dispersion = np.sqrt(variance[counts >= 2])
        dispersion = dispersion[dispersion > 0][-SCALE_DATES:]
        if dispersion.size:
            return float(np.median(dispersion))
    raise ValueError("no date with two or more differing training returns to set the scale")


def to_return_units(output: Array, spec: TargetSpec, volatility: Array | None = None) -> Array:
    """Map model output in target units to an expected return over the horizon.

    Raises
    ------
    ValueError
        If the target is ``vol_scaled`` and no volatility is given.
    """
    values = np.asarray(output, dtype=np.float64)
    if spec.needs_volatility:
        if volatility is None:
            raise ValueError("vol_scaled forecasts need the ex-ante volatility at their bars")
        return np.asarray(values * volatility, dtype=np.float64)
    if spec.cross_sectional:
        return values * spec.scale
    return values
