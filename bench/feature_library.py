"""The extended feature set for many assets, engine versus the same math on raw pandas.

Synthetic data: the seeded random-walk OHLCV panel of ``bench/forecast_cycle.py``
(``--assets`` x ``--bars`` daily bars). Measured in the same run, each the median of
``--repeat`` timings:

* extended: ``compute_features`` with ``feature_set("extended")`` (the twelve basic
  features, the library's per-asset families and the cross-sectional ranks and
  deviations) on the whole panel, versus every one of those features written directly
  as pandas wide-frame math and stacked into the same (time, asset, feature) array;
* window: the same two on the trailing ``--window`` bars (what a live inference cycle
  computes);
* basic: ``compute_features`` with the basic set on the whole panel, to state what the
  extended set costs on top of it.

Before timing, the engine and the baseline must agree on every value (NaN where the
other is NaN, else within ``rtol 1e-9, atol 1e-12``), so both compute the same thing.

Usage::

    python bench/feature_library.py [--assets 1000] [--bars 2500] [--window 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.features import FeatureDefinition, compute_features, feature_set
from bench.forecast_cycle import median_seconds, synthetic_panel

WINDOWS = (5, 10, 20, 60)
QUANTILE_WINDOWS = (10, 20, 60)
VOLUME_WINDOWS = (5, 20, 60)
CORRELATION_WINDOWS = (10, 20, 60)
LEVEL_CORRELATION_WINDOWS = (20, 60)
VWAP_WINDOWS = (5, 20)
RANKED = (
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
DEVIATED = ("return_1", "return_5", "momentum_20")


def raw_extended(panel: BarPanel) -> dict[str, pd.DataFrame]:
    """Every feature of the extended set as direct pandas wide-frame math (the baseline)."""
    o, h, l, c = panel.open, panel.high, panel.low, panel.close  # noqa: E741
    f: dict[str, pd.DataFrame] = {}
    y = np.log(c)
    r1 = y.diff()
    change = c.diff()
    gains = change.clip(lower=0).rolling(14).mean()
    losses = (-change).clip(lower=0).rolling(14).mean()
    log_volume_z = np.log1p(panel.volume)
    f["return_1"] = r1
    f["return_1_lag_1"] = r1.shift(1)
    f["return_1_lag_2"] = r1.shift(2)
    f["return_5"] = y.diff(5)
    f["momentum_20"] = y.diff(20)
    f["momentum_60"] = y.diff(60)
    f["rsi_14"] = gains / (gains + losses) - 0.5
    f["realized_volatility_20"] = r1.rolling(20).std()
    f["volume_zscore_20"] = (log_volume_z - log_volume_z.rolling(20).mean()) / log_volume_z.rolling(
        20
    ).std()
    f["distance_from_moving_average_20"] = c / c.rolling(20).mean() - 1
    f["high_low_range_5"] = np.log(h / l).rolling(5).mean()
    f["return_1_over_volatility"] = r1 / f["realized_volatility_20"]

    # candle shape, on the high and low widened to the open and close
    hi = np.maximum(np.maximum(h, o), c)
    lo = np.minimum(np.minimum(l, o), c)
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    spread = hi - lo
    flat = spread == 0
    f["candle_open_to_close"] = np.log(c / o)
    f["candle_range"] = np.log(hi / lo)
    f["candle_body_share"] = ((c - o) / spread).mask(flat, 0.0)
    f["candle_upper_shadow"] = ((hi - top) / spread).mask(flat, 0.0)
    f["candle_lower_shadow"] = ((bottom - lo) / spread).mask(flat, 0.0)
    f["candle_close_position"] = ((c - lo) / spread - 0.5).mask(flat, 0.0)
    f["candle_upper_shadow_to_close"] = (hi - top) / c
    f["candle_lower_shadow_to_close"] = (bottom - lo) / c
    f["open_gap"] = np.log(o / c.shift(1))

    for w in WINDOWS:
        highest, lowest = hi.rolling(w).max(), lo.rolling(w).min()
        f[f"range_position_{w}"] = ((c - lowest) / (highest - lowest) - 0.5).mask(
            highest == lowest, 0.0
        )
        f[f"distance_from_high_{w}"] = np.log(c / highest)
        f[f"distance_from_low_{w}"] = np.log(c / lowest)
    f["return_10"] = y.diff(10)
    for w in (5, 10, 60):
        f[f"realized_volatility_{w}"] = r1.rolling(w).std()
        f[f"distance_from_moving_average_{w}"] = c / c.rolling(w).mean() - 1
    for w in (10, 20, 60):
        f[f"high_low_range_{w}"] = np.log(h / l).rolling(w).mean()
    for w in QUANTILE_WINDOWS:
        f[f"close_lower_quantile_{w}"] = np.log(c.rolling(w).quantile(0.2) / c)
        f[f"close_upper_quantile_{w}"] = np.log(c.rolling(w).quantile(0.8) / c)
        f[f"close_rank_{w}"] = (c.rolling(w).rank() - 1) / (w - 1) - 0.5
    for w in WINDOWS:
        offsets = np.arange(w) - (w - 1) / 2
        weights = offsets / (offsets**2).sum()
        slope = sum(weights[k] * y.shift(w - 1 - k) for k in range(w))
        assert isinstance(slope, pd.DataFrame)
        variance = y.rolling(w).var()
        r2 = slope**2 * (w * (w * w - 1) / 12) / (variance * (w - 1))
        f[f"trend_slope_{w}"] = slope
        f[f"trend_r2_{w}"] = r2.mask(variance == 0, 0.0).clip(0.0, 1.0)
        f[f"trend_residual_{w}"] = y - (y.rolling(w).mean() + slope * (w - 1) / 2)

    volume = panel.volume.clip(lower=0)
    log_volume = np.log1p(volume)
    mean_volume = {w: volume.rolling(w).mean() for w in VOLUME_WINDOWS + VWAP_WINDOWS}
    for w in VOLUME_WINDOWS:
        f[f"volume_ratio_{w}"] = log_volume - np.log1p(mean_volume[w])
    for short, long in zip(VOLUME_WINDOWS, VOLUME_WINDOWS[1:], strict=False):
        f[f"volume_trend_{short}_{long}"] = np.log1p(mean_volume[short]) - np.log1p(
            mean_volume[long]
        )
    volume_change = log_volume.diff()
    for w in CORRELATION_WINDOWS:
        constant = (r1.rolling(w).var() == 0) | (volume_change.rolling(w).var() == 0)
        correlation = r1.rolling(w).corr(volume_change)
        f[f"return_volume_correlation_{w}"] = correlation.mask(constant, 0.0).clip(-1.0, 1.0)
    for w in LEVEL_CORRELATION_WINDOWS:
        constant = (y.rolling(w).var() == 0) | (log_volume.rolling(w).var() == 0)
        correlation = y.rolling(w).corr(log_volume)
        f[f"close_volume_correlation_{w}"] = correlation.mask(constant, 0.0).clip(-1.0, 1.0)
    typical = (hi + lo + c) / 3
    for w in VWAP_WINDOWS:
        vwap = (typical * volume).rolling(w).mean() / mean_volume[w]
        f[f"vwap_distance_{w}"] = np.log(c / vwap.mask(mean_volume[w] == 0, c))
    traded = volume.where(r1.notna())
    up_share = (
        traded.where(r1 > 0, 0.0).where(r1.notna()).rolling(20).mean() / traded.rolling(20).mean()
    )
    f["up_volume_share_20"] = (up_share - 0.5).mask(traded.rolling(20).mean() == 0, 0.0)

    if c.shape[1] > 1:
        for name in RANKED:
            ranks = f[name].rank(axis=1)
            count = f[name].count(axis=1)
            f[f"cs_rank_{name}"] = (ranks - 1).div(count - 1, axis=0) - 0.5
        for name in DEVIATED:
            f[f"cs_deviation_{name}"] = f[name].sub(f[name].mean(axis=1), axis=0)
    return f


def raw_matrix(panel: BarPanel, names: tuple[str, ...]) -> np.ndarray:
    """The baseline's frames stacked in the engine's feature order."""
    frames = raw_extended(panel)
    if set(frames) != set(names):
        missing, extra = set(names) - set(frames), set(frames) - set(names)
        raise SystemExit(f"baseline and engine list different features: {missing} / {extra}")
    values = np.stack([frames[name].to_numpy() for name in names], axis=2)
    values[~np.isfinite(values)] = np.nan
    return values


def tail(panel: BarPanel, bars: int) -> BarPanel:
    """The newest ``bars`` bars of every asset."""
    return BarPanel(
        *(
            getattr(panel, name).iloc[-bars:]
            for name in ("open", "high", "low", "close", "volume", "end_time")
        )
    )


def check_equal(engine: np.ndarray, raw: np.ndarray, names: tuple[str, ...]) -> None:
    """Stop unless both compute the same values."""
    for position, name in enumerate(names):
        if not np.allclose(
            engine[:, :, position], raw[:, :, position], equal_nan=True, rtol=1e-9, atol=1e-12
        ):
            raise SystemExit(f"engine and raw differ on {name}: the comparison would be unfair")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=2500)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    panel = synthetic_panel(arguments.assets, arguments.bars, arguments.seed)
    definitions: tuple[FeatureDefinition, ...] = feature_set(
        "extended", asset_count=arguments.assets
    )
    names = tuple(definition.name for definition in definitions)
    recent = tail(panel, arguments.window)
    check_equal(compute_features(panel, definitions).values, raw_matrix(panel, names), names)
    check_equal(compute_features(recent, definitions).values, raw_matrix(recent, names), names)

    repeat = arguments.repeat
    extended_engine = median_seconds(lambda: compute_features(panel, definitions), repeat)
    extended_raw = median_seconds(lambda: raw_matrix(panel, names), repeat)
    window_engine = median_seconds(lambda: compute_features(recent, definitions), repeat * 5)
    window_raw = median_seconds(lambda: raw_matrix(recent, names), repeat * 5)
    basic = feature_set("basic", asset_count=arguments.assets)
    basic_engine = median_seconds(lambda: compute_features(panel, basic), repeat)

    figures = {
        "assets": arguments.assets,
        "bars": arguments.bars,
        "features_extended": len(names),
        "features_cross_sectional": sum(definition.cross_sectional for definition in definitions),
        "features_basic": len(basic),
        "extended_engine_seconds": round(extended_engine, 3),
        "extended_raw_seconds": round(extended_raw, 3),
        "extended_ratio": round(extended_engine / extended_raw, 3),
        "window_bars": arguments.window,
        "window_engine_seconds": round(window_engine, 4),
        "window_raw_seconds": round(window_raw, 4),
        "window_ratio": round(window_engine / window_raw, 3),
        "basic_engine_seconds": round(basic_engine, 3),
        "extended_over_basic": round(extended_engine / basic_engine, 2),
        "goal_ratio": 2.0,
        "load_average_1min": round(_load_average(), 2),
    }
    if arguments.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:26s} {value}")


def _load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


if __name__ == "__main__":
    main()
