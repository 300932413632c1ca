"""Which training setup recovers the planted signal and passes the gates: the evidence
behind the defaults of the walk-forward's training.

Runs the walk-forward (1-day horizon, ``--retrain`` schedule, the default ``cs_rank``
target) once per variant on the synthetic panels of ``tests/support/synthetic_panels.py``
(50 assets x 12 years by default: calm, one year four times as volatile, pure noise) and
scores the forecasts made from the panel's second year as ``bench/forecast_targets.py``
does (per-date rank IC and its share of the attainable, the volatile year, pooled IC,
common share, ECE), plus the promotion gates (``risk_models.gates.evaluate_gates``,
default thresholds) on the last 500 scored dates: pass, or which gates failed.

Variants (``--variants``; each is a set of ``WalkForwardConfig`` fields):

- ``fixed150``: LightGBM, 150 rounds, no validation slice (the training before early
  stopping existed);
- ``early_stop``: LightGBM, at most 300 rounds, early stopping (30 rounds) on a purged
  validation slice of the newest 20 % of each fold's dates (the default);
- ``extended``: ``early_stop`` with the 90-feature ``extended`` set;
- ``per_asset``: ``early_stop``'s LightGBM fitted per asset;
- ``ensemble``: pooled LightGBM, ridge and autoregression and a per-asset ridge, weights
  chosen on the validation slice;
- ``ensemble_extended``: ``ensemble`` on the ``extended`` set.

Usage::

    python bench/forecast_training.py [--assets 50] [--years 12] [--retrain quarterly]
        [--seeds 0] [--panels calm volatile noise] [--variants fixed150 early_stop ...] [--json]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from bench.forecast_targets import PANELS, walk_forward_grid
from risk_models.gates import GateConfig, evaluate_gates

VARIANTS: dict[str, dict[str, Any]] = {
    "fixed150": {"validation_fraction": 0.0, "hyperparameters": {"lightgbm": {"rounds": 150}}},
    "early_stop": {},
    "extended": {"feature_set": "extended"},
    "per_asset": {"scope": "per_asset"},
    "ensemble": {"model": "ensemble"},
    "ensemble_extended": {"model": "ensemble", "feature_set": "extended"},
}


def gate_summary(forecasts: pd.DataFrame, start: pd.Timestamp) -> dict[str, Any]:
    """The default promotion gates on the forecasts made from ``start``."""
    scored = forecasts.loc[forecasts["bar_time"] >= start].dropna(
        subset=["prediction", "forward_return"]
    )
    record = scored.assign(next_return=scored["forward_return"])
    report = evaluate_gates(record, GateConfig(), horizon_bars=1)
    return {
        "gates_passed": report.passed,
        "gates_failed": [result.name for result in report.results if not result.passed],
        "ic_t": (report.result("ic_t").statistic if report.result("ic_t") else None),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=50)
    parser.add_argument("--years", type=float, default=12.0)
    parser.add_argument(
        "--retrain", default="quarterly", choices=["weekly", "monthly", "quarterly"]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--panels", nargs="+", default=list(PANELS), choices=list(PANELS))
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    results = walk_forward_grid(
        seeds=arguments.seeds,
        panels=arguments.panels,
        assets=arguments.assets,
        years=arguments.years,
        configs={
            variant: {
                "model": "lightgbm",
                "retrain_frequency": arguments.retrain,
                **VARIANTS[variant],
            }
            for variant in arguments.variants
        },
        label="variant",
        extra=gate_summary,
        on_row=None if arguments.json else _print_row,
    )
    if arguments.json:
        print(json.dumps({"retrain": arguments.retrain, "results": results}, indent=2))


def _print_row(row: dict[str, Any]) -> None:
    share = f"share {row['share']:.0%}" if row["attainable"] == row["attainable"] else "no signal"
    volatile = (
        f" volatile yr {row['volatile_rank_ic'] / row['volatile_attainable']:.0%}"
        if "volatile_rank_ic" in row
        else ""
    )
    gates = "pass" if row["gates_passed"] else "fail: " + ",".join(row["gates_failed"])
    print(
        f"seed {row['seed']} {row['panel']:8s} {row['variant']:17s} "
        f"rank IC {row['rank_ic']:+.4f} (t {row['rank_ic_t']:+.1f}) {share}{volatile} "
        f"pooled IC {row['pooled_ic']:+.4f} common {row['common_share']:.2f} "
        f"ECE {row['ece']:.3f} gates {gates} ({row['seconds']:.0f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
