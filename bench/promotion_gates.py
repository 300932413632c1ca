"""Cost of the promotion gates on one out-of-sample record, next to the bare statistics.

The gates run once per model version, when its period starts (``WalkForwardGate``), on
the recipe's most recent ``window_dates`` resolved dates. This script measures
``evaluate_gates`` on seeded records of several sizes, and as the raw baseline the same
statistics without the bootstrap or the deflation: one pooled Spearman correlation
(scipy), the calibration error and the sizing rule's daily returns (pandas pivots), so
the ratio is the price of accounting for dependence and for the search.

Usage::

    python bench/promotion_gates.py [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, spearmanr

from bench.forecast_cycle import median_seconds
from risk_models.gates import GateConfig, evaluate_gates, expected_calibration_error, sizing_returns

SIZES = ((4, 2500), (100, 500), (1000, 500))


def _record(assets: int, dates: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(dates, assets))
    outcome = 0.01 * (0.1 * signal + rng.normal(size=(dates, assets)))
    times = pd.bdate_range("2015-01-02", periods=dates)
    return pd.DataFrame(
        {
            "time": np.repeat(times.to_numpy(), assets),
            "symbol": np.tile([f"A{index}" for index in range(assets)], dates),
            "prediction": signal.ravel() * 0.001,
            "confidence": norm.cdf(0.1 * np.abs(signal)).ravel(),
            "forward_return": outcome.ravel(),
            "next_return": outcome.ravel(),
        }
    )


def _raw(record: pd.DataFrame) -> None:
    prediction = record["prediction"].to_numpy()
    outcome = record["forward_return"].to_numpy()
    spearmanr(prediction, outcome)
    expected_calibration_error(record["confidence"].to_numpy(), (prediction * outcome > 0) * 1.0)
    sizing_returns(record, entry_confidence=0.5, cost_bps=5.0)


def _best(function: Callable[[], Any], repeat: int) -> float:
    function()  # warm-up, not timed
    return median_seconds(function, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    config = GateConfig(window_dates=None)
    rows = []
    for assets, dates in SIZES:
        record = _record(assets, dates)
        gates = _best(lambda record=record: evaluate_gates(record, config), arguments.repeat)
        raw = _best(lambda record=record: _raw(record), arguments.repeat)
        rows.append(
            {
                "assets": assets,
                "dates": dates,
                "rows": len(record),
                "gates_ms": gates * 1000,
                "raw_ms": raw * 1000,
                "ratio": gates / raw,
            }
        )
    if arguments.json:
        print(json.dumps({"promotion_gates": rows}))
        return
    for row in rows:
        print(
            f"{row['assets']:>5} assets x {row['dates']:>5} dates: gates {row['gates_ms']:.0f} ms,"
            f" raw {row['raw_ms']:.0f} ms ({row['ratio']:.2f}x)"
        )


if __name__ == "__main__":
    main()
