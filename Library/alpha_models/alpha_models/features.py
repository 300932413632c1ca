"""Features computed across many assets at once, each from data up to its bar's close.

A feature is a named function from a :class:`~alpha_models.bars.BarPanel` to a
wide frame (time x asset). The value at row ``t`` may use bars ``<= t`` only;
:mod:`alpha_models.leakage` checks that for any set of definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array
from alpha_models.bars import BarPanel

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
    """A named feature and the function that computes it."""

    name: str
    function: FeatureFunction


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
    """Return the default feature set.

    Lagged returns, momentum, RSI, realized volatility, volume z-score,
    distance from the moving average, high-low range and the volatility-scaled
    last return.
    """
    c = config or FeatureConfig()
    return (
        FeatureDefinition("return_1", lambda p: _log_return(p, 1)),
        FeatureDefinition("return_1_lag_1", lambda p: _log_return(p, 1).shift(1)),
        FeatureDefinition("return_1_lag_2", lambda p: _log_return(p, 1).shift(2)),
        FeatureDefinition(f"return_{c.short_window}", lambda p: _log_return(p, c.short_window)),
        FeatureDefinition(f"momentum_{c.medium_window}", lambda p: _log_return(p, c.medium_window)),
        FeatureDefinition(f"momentum_{c.long_window}", lambda p: _log_return(p, c.long_window)),
        FeatureDefinition(f"rsi_{c.rsi_window}", lambda p: _rsi(p, c.rsi_window)),
        FeatureDefinition(
            f"realized_volatility_{c.medium_window}",
            lambda p: _realized_volatility(p, c.medium_window),
        ),
        FeatureDefinition(
            f"volume_zscore_{c.medium_window}", lambda p: _volume_zscore(p, c.medium_window)
        ),
        FeatureDefinition(
            f"distance_from_moving_average_{c.medium_window}",
            lambda p: _distance_from_moving_average(p, c.medium_window),
        ),
        FeatureDefinition(
            f"high_low_range_{c.short_window}", lambda p: _high_low_range(p, c.short_window)
        ),
        FeatureDefinition("return_1_over_volatility", lambda p: _scaled_return(p, c.medium_window)),
    )


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
        If two definitions share a name or a function returns a frame of the
        wrong shape.
    """
    chosen = tuple(definitions) if definitions is not None else default_features()
    names = tuple(definition.name for definition in chosen)
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate feature names in {names}")
    shape = panel.close.shape
    values = np.empty((shape[0], shape[1], len(chosen)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        for position, definition in enumerate(chosen):
            frame = definition.function(panel)
            if frame.shape != shape:
                raise ValueError(
                    f"feature {definition.name} has shape {frame.shape}, expected {shape}"
                )
            values[:, :, position] = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    values[~np.isfinite(values)] = np.nan
    return FeatureMatrix(
        values=values,
        times=panel.times,
        assets=panel.assets,
        names=names,
        available_at=panel.end_times_ns(),
    )
