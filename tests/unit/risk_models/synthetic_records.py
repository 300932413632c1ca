"""Synthetic forecast records whose truth is known, for the promotion gates' tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

NOISE = 0.01


def record(
    *,
    strength: float,
    dates: int = 500,
    assets: int = 6,
    seed: int = 0,
    start: str = "2015-01-02",
    persistence: float = 0.0,
) -> pd.DataFrame:
    """Forecasts of ``assets`` assets on ``dates`` business days.

    Each row's return is ``strength * NOISE * signal + NOISE * noise``; the prediction is
    the signal and the confidence is the true probability that its sign is right, so a
    record is perfectly calibrated up to sampling error. ``persistence`` makes the
    signal and the noise autocorrelated over dates (AR(1)), the dependence the block
    bootstrap must account for.
    """
    rng = np.random.default_rng(seed)
    times = pd.bdate_range(start, periods=dates)

    def series() -> np.ndarray:
        shocks = rng.normal(size=(dates, assets))
        values = np.empty_like(shocks)
        values[0] = shocks[0]
        scale = np.sqrt(1.0 - persistence**2)
        for row in range(1, dates):
            values[row] = persistence * values[row - 1] + scale * shocks[row]
        return values

    signal, noise = series(), series()
    outcome = NOISE * (strength * signal + noise)
    confidence = norm.cdf(strength * np.abs(signal))
    return pd.DataFrame(
        {
            "time": np.repeat(times.to_numpy(), assets),
            "symbol": np.tile([f"A{index}" for index in range(assets)], dates),
            "prediction": (NOISE * max(strength, 0.05) * signal).ravel(),
            "confidence": confidence.ravel(),
            "forward_return": outcome.ravel(),
            "next_return": outcome.ravel(),
        }
    )


def walk_forward_table(frame: pd.DataFrame, *, horizon_days: int = 1) -> pd.DataFrame:
    """Turn a record into a walk-forward forecast table: one model version per month."""
    table = frame.copy()
    times = pd.to_datetime(table["time"])
    table["model_version"] = "m-" + times.dt.strftime("%Y%m")
    table["label_end"] = times + pd.offsets.BDay(horizon_days)
    return table
