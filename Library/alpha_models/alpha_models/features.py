"""Features computed across many assets at once, each from data up to its bar's close.

A feature is a named function from a :class:`~alpha_models.bars.BarPanel` to a
wide frame (time x asset). The value at row ``t`` may use bars ``<= t`` only;
:mod:`alpha_models.leakage` checks that for any set of definitions.

Two named sets (:func:`feature_set`): ``basic``, twelve close-to-close features, and
``extended``, those twelve plus the families of :mod:`alpha_models.feature_library`
(candle shape, position in rolling ranges, more return, volatility and average
windows, rolling quantiles, trend lines, volume and volume-price relations, and
cross-sectional ranks and deviations when the panel holds more than one asset), the
walk-forward's default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array
from alpha_models.bars import BarPanel
from alpha_models.feature_kernels import like, remember_feature, sharing
from alpha_models.feature_library import (
    FeatureLibraryConfig,
    PanelFunction,
    cross_sectional_specs,
    library_specs,
)

FeatureFunction = Callable[[BarPanel], pd.DataFrame]


@dataclass(frozen=True)
class FeatureConfig:
    """Window lengths of the default features, in bars.

    Parameters
    ----------
    short_window
        Short return and range window.
    medium_window
        Momentum, volatility, volume and moving-average window.
    long_window
        Long momentum window.
    rsi_window
        Relative strength index window.
    """

    short_window: int = 5
    medium_window: int = 20
    long_window: int = 60
    rsi_window: int = 14

    def __post_init__(self) -> None:
        for name in ("short_window", "medium_window", "long_window", "rsi_window"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2")
        if not self.short_window < self.medium_window < self.long_window:
            raise ValueError("windows must satisfy short_window < medium_window < long_window")


@dataclass(frozen=True)
class FeatureDefinition:
    """A named feature and the function that computes it.

    Attributes
    ----------
    name
        Feature name.
    function
        Panel to wide frame (time x asset).
    warm_up
        Index of the first bar that has a value when every bar is present (the
        history the feature needs); None when not declared.
    cross_sectional
        True when a value mixes the assets of its time (a rank or a deviation from
        the universe); such features need more than one asset.
    """

    name: str
    function: FeatureFunction
    warm_up: int | None = None
    cross_sectional: bool = False


@dataclass(frozen=True)
class FeatureMatrix:
    """Feature values of many assets as a (time x asset x feature) array.

    Attributes
    ----------
    values
        Float64 array of shape (time, asset, feature); NaN where undefined.
    times
        Bar start times (first axis).
    assets
        Asset names (second axis).
    names
        Feature names (third axis).
    available_at
        Int64 nanoseconds array of shape (time, asset): when the row became
        known (its bar's ``end_time``); the int64 minimum where no bar exists.
    """

    values: Array
    times: pd.DatetimeIndex
    assets: tuple[str, ...]
    names: tuple[str, ...]
    available_at: Array

    def complete_rows(self) -> Array:
        """Return a (time, asset) mask of rows whose features are all finite."""
        return np.asarray(np.isfinite(self.values).all(axis=2) & (self.available_at != _NAT))


_NAT = np.iinfo(np.int64).min


def _elementwise(frame: pd.DataFrame, function: Callable[[Array], Array]) -> pd.DataFrame:
    return pd.DataFrame(
        function(frame.to_numpy(dtype=np.float64)), index=frame.index, columns=frame.columns
    )


def _log(frame: pd.DataFrame) -> pd.DataFrame:
    return _elementwise(frame.where(frame > 0), np.log)


def _log_close(panel: BarPanel) -> pd.DataFrame:
    return _log(panel.close)


def _log_return(panel: BarPanel, bars: int) -> pd.DataFrame:
    log_close = _log_close(panel)
    return log_close - log_close.shift(bars)


def _rsi(panel: BarPanel, window: int) -> pd.DataFrame:
    change = panel.close.diff()
    gains = change.clip(lower=0.0).rolling(window, min_periods=window).mean()
    losses = (-change).clip(lower=0.0).rolling(window, min_periods=window).mean()
    total = gains + losses
    return (gains / total.where(total > 0)) - 0.5


def _realized_volatility(panel: BarPanel, window: int) -> pd.DataFrame:
    return _log_return(panel, 1).rolling(window, min_periods=window).std()


def _volume_zscore(panel: BarPanel, window: int) -> pd.DataFrame:
    log_volume = _elementwise(panel.volume.clip(lower=0.0), np.log1p)
    rolling = log_volume.rolling(window, min_periods=window)
    deviation = rolling.std()
    return (log_volume - rolling.mean()) / deviation.where(deviation > 0)


def _distance_from_moving_average(panel: BarPanel, window: int) -> pd.DataFrame:
    average = panel.close.rolling(window, min_periods=window).mean()
    return panel.close / average - 1.0


def _high_low_range(panel: BarPanel, window: int) -> pd.DataFrame:
    spread = _log(panel.high) - _log(panel.low)
    return spread.rolling(window, min_periods=window).mean()


def _scaled_return(panel: BarPanel, window: int) -> pd.DataFrame:
    volatility = _realized_volatility(panel, window)
    return _log_return(panel, 1) / volatility.where(volatility > 0)


def default_features(config: FeatureConfig | None = None) -> tuple[FeatureDefinition, ...]:
    """Return the default feature set (the ``basic`` set).

    Lagged returns, momentum, RSI, realized volatility, volume z-score,
    distance from the moving average, high-low range and the volatility-scaled
    last return.
    """
    c = config or FeatureConfig()
    return (
        FeatureDefinition("return_1", lambda p: _log_return(p, 1), 1),
        FeatureDefinition("return_1_lag_1", lambda p: _log_return(p, 1).shift(1), 2),
        FeatureDefinition("return_1_lag_2", lambda p: _log_return(p, 1).shift(2), 3),
        FeatureDefinition(
            f"return_{c.short_window}", lambda p: _log_return(p, c.short_window), c.short_window
        ),
        FeatureDefinition(
            f"momentum_{c.medium_window}",
            lambda p: _log_return(p, c.medium_window),
            c.medium_window,
        ),
        FeatureDefinition(
            f"momentum_{c.long_window}", lambda p: _log_return(p, c.long_window), c.long_window
        ),
        FeatureDefinition(f"rsi_{c.rsi_window}", lambda p: _rsi(p, c.rsi_window), c.rsi_window),
        FeatureDefinition(
            f"realized_volatility_{c.medium_window}",
            lambda p: _realized_volatility(p, c.medium_window),
            c.medium_window,
        ),
        FeatureDefinition(
            f"volume_zscore_{c.medium_window}",
            lambda p: _volume_zscore(p, c.medium_window),
            c.medium_window - 1,
        ),
        FeatureDefinition(
            f"distance_from_moving_average_{c.medium_window}",
            lambda p: _distance_from_moving_average(p, c.medium_window),
            c.medium_window - 1,
        ),
        FeatureDefinition(
            f"high_low_range_{c.short_window}",
            lambda p: _high_low_range(p, c.short_window),
            c.short_window - 1,
        ),
        FeatureDefinition(
            "return_1_over_volatility",
            lambda p: _scaled_return(p, c.medium_window),
            c.medium_window,
        ),
    )


def extended_features(
    config: FeatureConfig | None = None,
    library: FeatureLibraryConfig | None = None,
    *,
    asset_count: int,
) -> tuple[FeatureDefinition, ...]:
    """Return the ``extended`` set: the basic features plus the feature library.

    Parameters
    ----------
    config
        Windows of the basic features.
    library
        Windows of the library's families and the features made cross-sectional.
    asset_count
        Assets in the panels the set will see; the cross-sectional features are
        included only when it is more than one.

    Library features with the same math as a basic one (``return_20`` is
    ``momentum_20``) are left out, so every column is distinct.
    """
    c = config or FeatureConfig()
    basic = default_features(c)
    same_math = {f"return_{c.medium_window}", f"return_{c.long_window}"}
    exclude = frozenset({definition.name for definition in basic} | same_math)
    per_asset = (
        *basic,
        *(
            FeatureDefinition(spec.name, spec.function, spec.warm_up)
            for spec in library_specs(library, exclude=exclude)
        ),
    )
    if asset_count < 2:
        return per_asset
    bases: dict[str, tuple[PanelFunction, int]] = {
        definition.name: (definition.function, definition.warm_up or 0) for definition in per_asset
    }
    across = (
        FeatureDefinition(spec.name, spec.function, spec.warm_up, cross_sectional=True)
        for spec in cross_sectional_specs(bases, library)
    )
    return (*per_asset, *across)


FEATURE_SETS: tuple[str, ...] = ("basic", "extended")
"""Names :func:`feature_set` accepts; ``basic`` is what :func:`compute_features` uses when
given no definitions, ``extended`` the walk-forward's default (``WalkForwardConfig``)."""


def feature_set(
    name: str,
    *,
    asset_count: int,
    config: FeatureConfig | None = None,
    library: FeatureLibraryConfig | None = None,
) -> tuple[FeatureDefinition, ...]:
    """Return a named feature set (one of :data:`FEATURE_SETS`).

    Parameters
    ----------
    name
        ``basic`` (the twelve default features) or ``extended``.
    asset_count
        Assets in the panels the set will see (cross-sectional features need two).
    config, library
        Windows of the basic features and of the library.

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    if name == "basic":
        return default_features(config)
    if name == "extended":
        return extended_features(config, library, asset_count=asset_count)
    raise ValueError(f"unknown feature set {name!r}; choose one of {FEATURE_SETS}")


def definitions_named(
    names: Sequence[str],
    *,
    asset_count: int,
    config: FeatureConfig | None = None,
    library: FeatureLibraryConfig | None = None,
) -> tuple[FeatureDefinition, ...]:
    """Return the definitions of ``names``, in that order, from the named sets.

    A saved model version lists the features it was trained on; forecasting with it (a
    restored champion, a version trained before the default set changed) must compute
    exactly those, whatever the trainer's configured set is now.

    Raises
    ------
    ValueError
        Naming the features no set defines (or, with one asset, a cross-sectional one).
    """
    catalog = {
        definition.name: definition
        for definition in extended_features(config, library, asset_count=asset_count)
    }
    missing = [name for name in names if name not in catalog]
    if missing:
        raise ValueError(
            f"no feature set defines {missing} for {asset_count} asset(s); "
            "the version was trained on features this code does not have"
        )
    return tuple(catalog[name] for name in names)


def uses_cross_section(names: Sequence[str]) -> bool:
    """Whether any of the named features compares an asset with the others at its time
    (so computing it needs every asset the version was trained with, not a subset)."""
    across = {
        definition.name
        for definition in extended_features(asset_count=2)
        if definition.cross_sectional
    }
    return any(name in across for name in names)


_BLOCK_FEATURES = 16


class _MatrixFiller:
    """Fills a (time, asset, feature) array one (time, asset) column at a time.

    Columns are gathered in a feature-major block and written a block at a time:
    writing one feature straight into the last axis touches a cache line per value
    (about 3x slower for 90 features on 1,000 x 2,500).
    """

    def __init__(self, shape: tuple[int, int], count: int):
        self.values = np.empty((shape[0], shape[1], count), dtype=np.float64)
        self._block = np.empty((min(_BLOCK_FEATURES, count), *shape), dtype=np.float64)
        self._start = 0
        self._held = 0

    def add(self, column: Array) -> None:
        slot = self._block[self._held]
        slot[...] = column
        np.copyto(slot, np.nan, where=~np.isfinite(slot))
        self._held += 1
        if self._held == self._block.shape[0]:
            self.flush()

    def flush(self) -> None:
        if self._held:
            end = self._start + self._held
            self.values[:, :, self._start : end] = self._block[: self._held].transpose(1, 2, 0)
            self._start, self._held = end, 0

    def column(self, position: int) -> Array:
        if position < self._start:
            return np.ascontiguousarray(self.values[:, :, position])
        return np.array(self._block[position - self._start])


def _stored(
    filler: _MatrixFiller, position: int, frame: pd.DataFrame
) -> Callable[[], pd.DataFrame]:
    return lambda: like(filler.column(position), frame)


def compute_features(
    panel: BarPanel, definitions: Sequence[FeatureDefinition] | None = None
) -> FeatureMatrix:
    """Compute every feature for every asset and bar.

    Parameters
    ----------
    panel
        Aligned bars.
    definitions
        Features to compute; :func:`default_features` when omitted.

    Raises
    ------
    ValueError
        If two definitions share a name, a function returns a frame of the
        wrong shape, or a cross-sectional feature is asked of a one-asset panel.

    Intermediates shared by several features (log close, rolling extremes, a
    feature that a cross-sectional one ranks) are computed once per call.
    """
    chosen = tuple(definitions) if definitions is not None else default_features()
    names = tuple(definition.name for definition in chosen)
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate feature names in {names}")
    shape = panel.close.shape
    across = [definition.name for definition in chosen if definition.cross_sectional]
    if across and shape[1] < 2:
        raise ValueError(
            f"cross-sectional features need more than one asset, the panel has {shape[1]}: {across}"
        )
    filler = _MatrixFiller(shape, len(chosen))
    with np.errstate(divide="ignore", invalid="ignore"), sharing(panel):
        for position, definition in enumerate(chosen):
            frame = definition.function(panel)
            if frame.shape != shape:
                raise ValueError(
                    f"feature {definition.name} has shape {frame.shape}, expected {shape}"
                )
            filler.add(frame.to_numpy(dtype=np.float64, na_value=np.nan))
            remember_feature(panel, definition.function, _stored(filler, position, frame))
    filler.flush()
    return FeatureMatrix(
        values=filler.values,
        times=panel.times,
        assets=panel.assets,
        names=names,
        available_at=panel.end_times_ns(),
    )
