"""Feature computation and one inference cycle for many assets, engine versus raw baseline.

Synthetic data: seeded random walks for ``--assets`` assets x ``--bars`` daily bars
(OHLCV). Measured in the same run, each the median of ``--repeat`` timings:

* features: ``alpha_models.features.compute_features`` with ``--feature-set`` (the
  default ``extended``, 90 features, or ``basic``, 12) on the whole panel, versus the same
  features written directly as pandas wide-frame math (for ``extended`` the baseline of
  ``bench/feature_library.py``);
* inference cycle: ``LiveForecaster.forecast_latest`` within a period (features on the
  trailing ``--window`` bars, the latest row of every asset, LightGBM prediction,
  calibrated confidence and the forecast table), versus the
  raw pandas feature math on the same window plus ``Booster.predict`` on the same
  contiguous float64 matrix.

Usage::

    python bench/forecast_cycle.py [--assets 1000] [--bars 2500] [--window 100]
        [--feature-set extended|basic] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.calibration import ConfidenceCalibrator
from alpha_models.features import FEATURE_SETS, compute_features, feature_set
from alpha_models.live import LiveForecaster
from alpha_models.models.gradient_boosting import LightGBMModel
from alpha_models.registry import ModelVersion
from alpha_models.schedule import period_start
from alpha_models.walk_forward import WalkForwardConfig


def synthetic_panel(assets: int, bars: int, seed: int) -> BarPanel:
    """Return seeded random-walk OHLCV bars as a panel."""
    generator = np.random.default_rng(seed)
    times = pd.bdate_range("2010-01-04", periods=bars, name="time")
    columns = [f"A{number:04d}" for number in range(assets)]
    returns = generator.normal(0.0002, 0.015, size=(bars, assets))
    close = 50.0 * np.exp(np.cumsum(returns, axis=0))
    open_ = close * np.exp(generator.normal(0, 0.003, size=close.shape))
    high = np.maximum(open_, close) * (1 + np.abs(generator.normal(0, 0.004, size=close.shape)))
    low = np.minimum(open_, close) * (1 - np.abs(generator.normal(0, 0.004, size=close.shape)))
    volume = generator.lognormal(12, 0.5, size=close.shape)
    end = pd.DataFrame(
        np.repeat((times + pd.Timedelta(hours=16)).to_numpy()[:, None], assets, axis=1),
        index=times,
        columns=columns,
    )

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=times, columns=columns)

    return BarPanel(frame(open_), frame(high), frame(low), frame(close), frame(volume), end)


def raw_features(panel: BarPanel) -> np.ndarray:
    """The default features as direct pandas wide-frame math (the baseline)."""
    close, high, low = panel.close, panel.high, panel.low
    log_close = np.log(close)
    r1 = log_close.diff()
    change = close.diff()
    gains = change.clip(lower=0).rolling(14).mean()
    losses = (-change).clip(lower=0).rolling(14).mean()
    volatility = r1.rolling(20).std()
    log_volume = np.log1p(panel.volume)
    volume_z = (log_volume - log_volume.rolling(20).mean()) / log_volume.rolling(20).std()
    frames = [
        r1,
        r1.shift(1),
        r1.shift(2),
        log_close - log_close.shift(5),
        log_close - log_close.shift(20),
        log_close - log_close.shift(60),
        gains / (gains + losses) - 0.5,
        volatility,
        volume_z,
        close / close.rolling(20).mean() - 1,
        (np.log(high) - np.log(low)).rolling(5).mean(),
        r1 / volatility,
    ]
    return np.stack([f.to_numpy() for f in frames], axis=2)


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``repeat`` calls."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=2500)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--feature-set", default="extended", choices=list(FEATURE_SETS))
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    panel = synthetic_panel(arguments.assets, arguments.bars, arguments.seed)
    definitions = feature_set(arguments.feature_set, asset_count=arguments.assets)
    names = tuple(definition.name for definition in definitions)

    def raw(bars: BarPanel) -> np.ndarray:
        if arguments.feature_set == "basic":
            return raw_features(bars)
        from bench.feature_library import raw_matrix

        return raw_matrix(bars, names)

    engine_features = compute_features(panel, definitions)
    baseline = raw(panel)
    if not np.allclose(engine_features.values, baseline, equal_nan=True, rtol=1e-9, atol=1e-12):
        raise SystemExit("engine and raw features differ: the comparison would be unfair")

    features_engine = median_seconds(lambda: compute_features(panel, definitions), arguments.repeat)
    features_raw = median_seconds(lambda: raw(panel), arguments.repeat)

    # one model trained outside the timings
    rows = engine_features.values[100:400].reshape(-1, engine_features.values.shape[2])
    generator = np.random.default_rng(arguments.seed)
    targets = generator.normal(0, 0.01, size=rows.shape[0])
    keep = np.isfinite(rows).all(axis=1)
    model = LightGBMModel(seed=0)
    model.fit(rows[keep], targets[keep])
    booster = model._booster
    assert booster is not None
    calibrator = ConfidenceCalibrator.fit(
        np.abs(generator.normal(size=2000)),
        (generator.random(2000) < 0.52).astype(float),
        generator.normal(size=2000),
    )
    metadata = ModelVersion(
        version="bench",
        model="lightgbm",
        horizon="1d",
        training_start="",
        training_end="",
        last_label_end="",
        valid_from=period_start(panel.times[-1], "monthly").isoformat(),
        features=engine_features.names,
        assets=panel.assets,
        data_hash="",
        seed=0,
        params=model.params,
        training_rows=int(keep.sum()),
        prediction_scale=0.001,
        calibration=calibrator.to_dict(),
    )
    window_start = len(panel.times) - arguments.window
    tail = BarPanel(
        *(
            getattr(panel, name).iloc[window_start:]
            for name in ("open", "high", "low", "close", "volume", "end_time")
        )
    )

    live = LiveForecaster(
        WalkForwardConfig(model="lightgbm", feature_set=arguments.feature_set),
        window_bars=arguments.window,
    )
    live.use(model, metadata)

    def engine_cycle() -> pd.DataFrame:
        forecasts = live.forecast_latest(panel)
        if live.full_runs:
            raise SystemExit(
                "the live forecaster retrained: the cycle measured would not be inference"
            )
        return forecasts

    def raw_cycle() -> object:
        latest = np.ascontiguousarray(raw(tail)[-1], dtype=np.float64)
        return booster.predict(latest, num_threads=1)

    np.testing.assert_allclose(engine_cycle()["prediction"].to_numpy(), raw_cycle())
    cycle_engine = median_seconds(engine_cycle, arguments.repeat * 4)
    cycle_raw = median_seconds(raw_cycle, arguments.repeat * 4)

    figures = {
        "assets": arguments.assets,
        "bars": arguments.bars,
        "feature_set": arguments.feature_set,
        "features": len(engine_features.names),
        "features_engine_seconds": round(features_engine, 4),
        "features_raw_seconds": round(features_raw, 4),
        "features_ratio": round(features_engine / features_raw, 3),
        "cycle_window_bars": arguments.window,
        "cycle_engine_seconds": round(cycle_engine, 4),
        "cycle_raw_seconds": round(cycle_raw, 4),
        "cycle_ratio": round(cycle_engine / cycle_raw, 3),
        "goal_ratio": 2.0,
    }
    if arguments.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:26s} {value}")


if __name__ == "__main__":
    main()
