"""The feature library: families of features in the spirit of a strong open baseline.

Each family is written here from scratch on wide frames (time x asset); the value at
bar ``t`` uses bars ``<= t`` only. :func:`library_specs` lists the per-asset
features (name, function, warm-up) and :func:`cross_sectional_specs` the
cross-sectional ones built on top of them; :mod:`alpha_models.features` turns both
into :class:`~alpha_models.features.FeatureDefinition` objects (the ``extended``
feature set).

Families (``w`` runs over the configured windows):

* candle shape of the bar: ``candle_open_to_close``, ``candle_range``,
  ``candle_body_share``, ``candle_upper_shadow``, ``candle_lower_shadow``,
  ``candle_close_position``, ``candle_upper_shadow_to_close``,
  ``candle_lower_shadow_to_close``, ``open_gap``;
* position within rolling ranges: ``range_position_w``, ``distance_from_high_w``,
  ``distance_from_low_w``;
* returns, volatility and averages over more windows: ``return_w``,
  ``realized_volatility_w``, ``distance_from_moving_average_w``,
  ``high_low_range_w`` (those the basic set lacks);
* rolling quantiles: ``close_lower_quantile_w`` (20 %), ``close_upper_quantile_w``
  (80 %), ``close_rank_w``;
* trend: ``trend_slope_w``, ``trend_r2_w``, ``trend_residual_w`` (least squares
  of log close on time);
* volume and volume-price: ``volume_ratio_w``, ``volume_trend_s_l``,
  ``return_volume_correlation_w``, ``close_volume_correlation_w``,
  ``vwap_distance_w``, ``up_volume_share_w``;
* cross-sectional, only with more than one asset: ``cs_rank_<feature>`` and
  ``cs_deviation_<feature>``.

The bar's high and low are widened to include its open and close, so a bad print
cannot give a negative shadow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array
from alpha_models.bars import BarPanel
from alpha_models.feature_kernels import (
    array,
    cross_sectional_deviation,
    cross_sectional_rank,
    feature_values,
    like,
    positive_log,
    ratio_or,
    rolling_correlation,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_position,
    rolling_quantiles,
    rolling_slope,
    rolling_var,
    shared,
)

PanelFunction = Callable[[BarPanel], pd.DataFrame]

LOWER_QUANTILE = 0.2
UPPER_QUANTILE = 0.8


@dataclass(frozen=True)
class FeatureSpec:
    """A library feature before it becomes a definition.

    Attributes
    ----------
    name
        Feature name.
    function
        Panel to wide frame.
    warm_up
        Index of the first bar with a value when every bar is present (the
        bars of history the feature needs before it).
    """

    name: str
    function: PanelFunction
    warm_up: int


@dataclass(frozen=True)
class FeatureLibraryConfig:
    """Windows of the library's features, in bars.

    Parameters
    ----------
    windows
        Range position, trend, returns, volatility and moving averages.
    quantile_windows
        Rolling quantiles and the close's rank in its window.
    volume_windows
        Volume relative to its mean; consecutive pairs give the volume trends.
    correlation_windows
        Correlation of returns with volume changes.
    level_correlation_windows
        Correlation of log close with log volume.
    vwap_windows
        Distance from the volume-weighted average price.
    up_volume_windows
        Share of volume traded on up bars.
    cross_sectional_rank
        Features ranked across assets at each time.
    cross_sectional_deviation
        Features taken relative to the cross-sectional mean at each time.
    """

    windows: tuple[int, ...] = (5, 10, 20, 60)
    quantile_windows: tuple[int, ...] = (10, 20, 60)
    volume_windows: tuple[int, ...] = (5, 20, 60)
    correlation_windows: tuple[int, ...] = (10, 20, 60)
    level_correlation_windows: tuple[int, ...] = (20, 60)
    vwap_windows: tuple[int, ...] = (5, 20)
    up_volume_windows: tuple[int, ...] = (20,)
    cross_sectional_rank: tuple[str, ...] = (
        "return_1",
        "return_5",
        "momentum_20",
        "momentum_60",
        "realized_volatility_20",
        "volume_ratio_20",
        "range_position_20",
        "candle_close_position",
        "distance_from_moving_average_20",
        "trend_slope_20",
    )
    cross_sectional_deviation: tuple[str, ...] = ("return_1", "return_5", "momentum_20")

    def __post_init__(self) -> None:
        for name in (
            "windows",
            "quantile_windows",
            "volume_windows",
            "correlation_windows",
            "level_correlation_windows",
            "vwap_windows",
            "up_volume_windows",
        ):
            windows = getattr(self, name)
            if any(window < 3 for window in windows):
                raise ValueError(f"{name}: every window must be at least 3 bars")
            if len(set(windows)) != len(windows):
                raise ValueError(f"{name}: windows must be distinct")


# ---------------------------------------------------------------- shared pieces


def _log_close(panel: BarPanel) -> pd.DataFrame:
    return shared(panel, "log_close", lambda: like(positive_log(array(panel.close)), panel.close))


def _log_return(panel: BarPanel) -> pd.DataFrame:
    def compute() -> pd.DataFrame:
        log_close = _log_close(panel)
        return log_close - log_close.shift(1)

    return shared(panel, "log_return", compute)


def _prices(panel: BarPanel) -> dict[str, pd.DataFrame]:
    """Open, close, the widened high and low, and the body's top and bottom."""

    def compute() -> dict[str, pd.DataFrame]:
        open_, close = array(panel.open), array(panel.close)
        high = np.maximum(np.maximum(array(panel.high), open_), close)
        low = np.minimum(np.minimum(array(panel.low), open_), close)
        frame = panel.close
        return {
            "open": like(open_, frame),
            "close": like(close, frame),
            "high": like(high, frame),
            "low": like(low, frame),
            "top": like(np.maximum(open_, close), frame),
            "bottom": like(np.minimum(open_, close), frame),
        }

    return shared(panel, "prices", compute)


def _range_extremes(panel: BarPanel, window: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    prices = _prices(panel)
    return shared(
        panel,
        ("range_extremes", window),
        lambda: (rolling_max(prices["high"], window), rolling_min(prices["low"], window)),
    )


def _volume(panel: BarPanel) -> pd.DataFrame:
    return shared(panel, "volume", lambda: panel.volume.clip(lower=0.0).astype(np.float64))


def _log_volume(panel: BarPanel) -> pd.DataFrame:
    return shared(panel, "log_volume", lambda: like(np.log1p(array(_volume(panel))), panel.close))


def _mean_volume(panel: BarPanel, window: int) -> pd.DataFrame:
    return shared(panel, ("mean_volume", window), lambda: rolling_mean(_volume(panel), window))


def _trend(panel: BarPanel, window: int) -> dict[str, pd.DataFrame]:
    """Least-squares line of log close on bar number over the last ``window`` bars."""

    def compute() -> dict[str, pd.DataFrame]:
        log_close = _log_close(panel)
        values = array(log_close)
        slope = rolling_slope(values, window)
        mean = array(rolling_mean(log_close, window))
        spread_x = window * (window * window - 1) / 12.0
        spread_y = array(rolling_var(log_close, window)) * (window - 1)
        r2 = np.clip(ratio_or(slope * slope * spread_x, spread_y, 0.0), 0.0, 1.0)
        residual = values - (mean + slope * (window - 1) / 2.0)
        return {
            "slope": like(slope, log_close),
            "r2": like(r2, log_close),
            "residual": like(residual, log_close),
        }

    return shared(panel, ("trend", window), compute)


# ---------------------------------------------------------------- candle shape


def candle_open_to_close(panel: BarPanel) -> pd.DataFrame:
    """Log return from the bar's open to its close."""
    prices = _prices(panel)
    return like(
        positive_log(array(prices["close"])) - positive_log(array(prices["open"])), panel.close
    )


def candle_range(panel: BarPanel) -> pd.DataFrame:
    """Log of high over low (widened high and low)."""
    prices = _prices(panel)
    return like(
        positive_log(array(prices["high"])) - positive_log(array(prices["low"])), panel.close
    )


def _range_share(panel: BarPanel, numerator: Array) -> pd.DataFrame:
    prices = _prices(panel)
    spread = array(prices["high"]) - array(prices["low"])
    return like(ratio_or(numerator, spread, 0.0), panel.close)


def candle_body_share(panel: BarPanel) -> pd.DataFrame:
    """(close - open) / (high - low), in [-1, 1]; 0 for a bar without range."""
    prices = _prices(panel)
    return _range_share(panel, array(prices["close"]) - array(prices["open"]))


def candle_upper_shadow(panel: BarPanel) -> pd.DataFrame:
    """(high - max(open, close)) / (high - low), in [0, 1]; 0 for a bar without range."""
    prices = _prices(panel)
    return _range_share(panel, array(prices["high"]) - array(prices["top"]))


def candle_lower_shadow(panel: BarPanel) -> pd.DataFrame:
    """(min(open, close) - low) / (high - low), in [0, 1]; 0 for a bar without range."""
    prices = _prices(panel)
    return _range_share(panel, array(prices["bottom"]) - array(prices["low"]))


def candle_close_position(panel: BarPanel) -> pd.DataFrame:
    """Where the close sits in the bar's range, in [-0.5, 0.5]; 0 for a bar without range."""
    prices = _prices(panel)
    spread = array(prices["high"]) - array(prices["low"])
    share = ratio_or(array(prices["close"]) - array(prices["low"]), spread, 0.5)
    return like(share - 0.5, panel.close)


def _close_share(panel: BarPanel, numerator: Array) -> pd.DataFrame:
    close = array(_prices(panel)["close"])
    return like(
        np.where(close > 0, numerator / np.where(close > 0, close, 1.0), np.nan), panel.close
    )


def candle_upper_shadow_to_close(panel: BarPanel) -> pd.DataFrame:
    """(high - max(open, close)) / close."""
    prices = _prices(panel)
    return _close_share(panel, array(prices["high"]) - array(prices["top"]))


def candle_lower_shadow_to_close(panel: BarPanel) -> pd.DataFrame:
    """(min(open, close) - low) / close."""
    prices = _prices(panel)
    return _close_share(panel, array(prices["bottom"]) - array(prices["low"]))


def open_gap(panel: BarPanel) -> pd.DataFrame:
    """Log return from the previous bar's close to this bar's open."""
    log_open = positive_log(array(panel.open))
    previous = array(_log_close(panel).shift(1))
    return like(log_open - previous, panel.close)


# ---------------------------------------------------------------- position in ranges


def range_position(panel: BarPanel, window: int) -> pd.DataFrame:
    """Where the close sits between the window's lowest low and highest high, in [-0.5, 0.5]."""
    high, low = (array(frame) for frame in _range_extremes(panel, window))
    close = array(panel.close)
    share = ratio_or(close - low, high - low, 0.5)
    return like(share - 0.5, panel.close)


def distance_from_high(panel: BarPanel, window: int) -> pd.DataFrame:
    """Log of the close over the window's highest high (at most 0)."""
    high = array(_range_extremes(panel, window)[0])
    return like(array(_log_close(panel)) - positive_log(high), panel.close)


def distance_from_low(panel: BarPanel, window: int) -> pd.DataFrame:
    """Log of the close over the window's lowest low (at least 0)."""
    low = array(_range_extremes(panel, window)[1])
    return like(array(_log_close(panel)) - positive_log(low), panel.close)


# ---------------------------------------------------------------- returns and volatility


def log_return(panel: BarPanel, window: int) -> pd.DataFrame:
    """Log return over the last ``window`` bars."""
    log_close = _log_close(panel)
    return log_close - log_close.shift(window)


def realized_volatility(panel: BarPanel, window: int) -> pd.DataFrame:
    """Sample standard deviation of the last ``window`` one-bar log returns."""
    return _log_return(panel).rolling(window, min_periods=window).std()


def distance_from_moving_average(panel: BarPanel, window: int) -> pd.DataFrame:
    """Close over its ``window``-bar mean, minus 1."""
    return panel.close / rolling_mean(panel.close, window) - 1.0


def high_low_range(panel: BarPanel, window: int) -> pd.DataFrame:
    """Mean of log(high / low) over the last ``window`` bars (the bars' own high and low)."""
    spread = like(positive_log(array(panel.high)) - positive_log(array(panel.low)), panel.close)
    return rolling_mean(spread, window)


# ---------------------------------------------------------------- quantiles


def _close_quantiles(panel: BarPanel, window: int) -> list[pd.DataFrame]:
    return shared(
        panel,
        ("close_quantiles", window),
        lambda: rolling_quantiles(panel.close, window, (LOWER_QUANTILE, UPPER_QUANTILE)),
    )


def close_quantile(panel: BarPanel, window: int, level: float) -> pd.DataFrame:
    """Log of the window's ``level`` quantile of closes over the close.

    The library's two levels share one sort of each window.
    """
    if level in (LOWER_QUANTILE, UPPER_QUANTILE):
        quantile = _close_quantiles(panel, window)[0 if level == LOWER_QUANTILE else 1]
    else:
        quantile = rolling_quantiles(panel.close, window, (level,))[0]
    return like(positive_log(array(quantile)) - array(_log_close(panel)), panel.close)


def close_rank(panel: BarPanel, window: int) -> pd.DataFrame:
    """Rank of the close among the window's closes, in [-0.5, 0.5]."""
    return rolling_position(panel.close, window)


# ---------------------------------------------------------------- trend


def trend_slope(panel: BarPanel, window: int) -> pd.DataFrame:
    """Least-squares slope of log close per bar over the last ``window`` bars."""
    return _trend(panel, window)["slope"]


def trend_r2(panel: BarPanel, window: int) -> pd.DataFrame:
    """R² of that line, in [0, 1]; 0 when the closes are constant."""
    return _trend(panel, window)["r2"]


def trend_residual(panel: BarPanel, window: int) -> pd.DataFrame:
    """Log close minus the line's value at the newest bar."""
    return _trend(panel, window)["residual"]


# ---------------------------------------------------------------- volume


def volume_ratio(panel: BarPanel, window: int) -> pd.DataFrame:
    """log((1 + volume) / (1 + mean volume of the last ``window`` bars))."""
    mean = array(_mean_volume(panel, window))
    return like(array(_log_volume(panel)) - np.log1p(mean), panel.close)


def volume_trend(panel: BarPanel, short: int, long: int) -> pd.DataFrame:
    """log((1 + short mean volume) / (1 + long mean volume))."""
    short_mean = np.log1p(array(_mean_volume(panel, short)))
    return like(short_mean - np.log1p(array(_mean_volume(panel, long))), panel.close)


def return_volume_correlation(panel: BarPanel, window: int) -> pd.DataFrame:
    """Correlation of one-bar log returns with changes of log(1 + volume)."""
    log_volume = _log_volume(panel)
    return rolling_correlation(_log_return(panel), log_volume - log_volume.shift(1), window)


def close_volume_correlation(panel: BarPanel, window: int) -> pd.DataFrame:
    """Correlation of log close with log(1 + volume)."""
    return rolling_correlation(_log_close(panel), _log_volume(panel), window, levels=True)


def vwap_distance(panel: BarPanel, window: int) -> pd.DataFrame:
    """Log of the close over the window's volume-weighted typical price (0 without volume).

    Ratios of rolling means (not sums): pandas gives an exact 0 mean for a window of
    zeros, so a window without volume is recognised exactly.
    """
    prices = _prices(panel)
    typical = (array(prices["high"]) + array(prices["low"]) + array(prices["close"])) / 3.0
    volume = _volume(panel)
    weighted = array(rolling_mean(like(typical * array(volume), panel.close), window))
    total = array(_mean_volume(panel, window))
    vwap = np.where(total == 0, array(prices["close"]), ratio_or(weighted, total, 0.0))
    return like(array(_log_close(panel)) - positive_log(vwap), panel.close)


def up_volume_share(panel: BarPanel, window: int) -> pd.DataFrame:
    """Share of the window's volume traded on bars that closed up, minus 0.5 (0 without volume)."""
    returns = array(_log_return(panel))
    volume = np.where(np.isnan(returns), np.nan, array(_volume(panel)))
    up = np.where(returns > 0, volume, 0.0 * volume)
    up_mean = array(rolling_mean(like(up, panel.close), window))
    mean = array(rolling_mean(like(volume, panel.close), window))
    return like(ratio_or(up_mean, mean, 0.5) - 0.5, panel.close)


# ---------------------------------------------------------------- listings


def _windowed(function: Callable[[BarPanel, int], pd.DataFrame], window: int) -> PanelFunction:
    return lambda panel: function(panel, window)


def _quantile(window: int, level: float) -> PanelFunction:
    return lambda panel: close_quantile(panel, window, level)


def _volume_trend(short: int, long: int) -> PanelFunction:
    return lambda panel: volume_trend(panel, short, long)


def library_specs(
    config: FeatureLibraryConfig | None = None, *, exclude: frozenset[str] = frozenset()
) -> tuple[FeatureSpec, ...]:
    """Return the library's per-asset features in family order.

    Parameters
    ----------
    config
        Windows; :class:`FeatureLibraryConfig` defaults when omitted.
    exclude
        Names to leave out (features another set already provides with the same math).
    """
    c = config or FeatureLibraryConfig()
    specs: list[FeatureSpec] = [
        FeatureSpec("candle_open_to_close", candle_open_to_close, 0),
        FeatureSpec("candle_range", candle_range, 0),
        FeatureSpec("candle_body_share", candle_body_share, 0),
        FeatureSpec("candle_upper_shadow", candle_upper_shadow, 0),
        FeatureSpec("candle_lower_shadow", candle_lower_shadow, 0),
        FeatureSpec("candle_close_position", candle_close_position, 0),
        FeatureSpec("candle_upper_shadow_to_close", candle_upper_shadow_to_close, 0),
        FeatureSpec("candle_lower_shadow_to_close", candle_lower_shadow_to_close, 0),
        FeatureSpec("open_gap", open_gap, 1),
    ]
    for w in c.windows:
        specs.append(FeatureSpec(f"range_position_{w}", _windowed(range_position, w), w - 1))
        specs.append(
            FeatureSpec(f"distance_from_high_{w}", _windowed(distance_from_high, w), w - 1)
        )
        specs.append(FeatureSpec(f"distance_from_low_{w}", _windowed(distance_from_low, w), w - 1))
    for w in c.windows:
        specs.append(FeatureSpec(f"return_{w}", _windowed(log_return, w), w))
    for w in c.windows:
        specs.append(FeatureSpec(f"realized_volatility_{w}", _windowed(realized_volatility, w), w))
    for w in c.windows:
        specs.append(
            FeatureSpec(
                f"distance_from_moving_average_{w}",
                _windowed(distance_from_moving_average, w),
                w - 1,
            )
        )
    for w in c.windows:
        specs.append(FeatureSpec(f"high_low_range_{w}", _windowed(high_low_range, w), w - 1))
    for w in c.quantile_windows:
        specs.append(FeatureSpec(f"close_lower_quantile_{w}", _quantile(w, LOWER_QUANTILE), w - 1))
        specs.append(FeatureSpec(f"close_upper_quantile_{w}", _quantile(w, UPPER_QUANTILE), w - 1))
        specs.append(FeatureSpec(f"close_rank_{w}", _windowed(close_rank, w), w - 1))
    for w in c.windows:
        specs.append(FeatureSpec(f"trend_slope_{w}", _windowed(trend_slope, w), w - 1))
        specs.append(FeatureSpec(f"trend_r2_{w}", _windowed(trend_r2, w), w - 1))
        specs.append(FeatureSpec(f"trend_residual_{w}", _windowed(trend_residual, w), w - 1))
    for w in c.volume_windows:
        specs.append(FeatureSpec(f"volume_ratio_{w}", _windowed(volume_ratio, w), w - 1))
    for short, long in zip(c.volume_windows, c.volume_windows[1:], strict=False):
        specs.append(
            FeatureSpec(f"volume_trend_{short}_{long}", _volume_trend(short, long), long - 1)
        )
    for w in c.correlation_windows:
        specs.append(
            FeatureSpec(
                f"return_volume_correlation_{w}", _windowed(return_volume_correlation, w), w
            )
        )
    for w in c.level_correlation_windows:
        specs.append(
            FeatureSpec(
                f"close_volume_correlation_{w}", _windowed(close_volume_correlation, w), w - 1
            )
        )
    for w in c.vwap_windows:
        specs.append(FeatureSpec(f"vwap_distance_{w}", _windowed(vwap_distance, w), w - 1))
    for w in c.up_volume_windows:
        specs.append(FeatureSpec(f"up_volume_share_{w}", _windowed(up_volume_share, w), w))
    return tuple(spec for spec in specs if spec.name not in exclude)


def cross_sectional_specs(
    bases: dict[str, tuple[PanelFunction, int]], config: FeatureLibraryConfig | None = None
) -> tuple[FeatureSpec, ...]:
    """Return the cross-sectional features built on the named per-asset features.

    Parameters
    ----------
    bases
        Per-asset feature name to its function (as computed, e.g. remembered by
        ``compute_features``) and warm-up.
    config
        Which features to rank and which to take relative to the mean.

    Raises
    ------
    ValueError
        If a configured feature is not among ``bases``.
    """
    c = config or FeatureLibraryConfig()
    specs: list[FeatureSpec] = []
    for prefix, names, transform in (
        ("cs_rank", c.cross_sectional_rank, cross_sectional_rank),
        ("cs_deviation", c.cross_sectional_deviation, cross_sectional_deviation),
    ):
        for name in names:
            if name not in bases:
                raise ValueError(f"cross-sectional feature of unknown feature {name!r}")
            function, warm_up = bases[name]
            specs.append(FeatureSpec(f"{prefix}_{name}", _across(transform, function), warm_up))
    return tuple(specs)


def _across(
    transform: Callable[[pd.DataFrame], pd.DataFrame], function: PanelFunction
) -> PanelFunction:
    return lambda panel: transform(feature_values(panel, function))
