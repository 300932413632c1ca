"""Which training target recovers the planted signal: the evidence behind the default.

Runs the walk-forward (LightGBM, the default features, ``--retrain`` schedule) with
each training target (``raw``, ``vol_scaled``, ``cs_zscore``, ``cs_rank``) on the
synthetic panels of ``tests/support/synthetic_panels.py`` (50 assets x 12 years by
default): the calm panel, the same market with one year four times as volatile, and the
pure-noise panel. Forecasts are scored from the start of the panel's second year.
``--minimum-cross-section`` sets the configuration's smallest cross-section for the
cross-sectional targets (the default's 20 leaves smaller universes on raw returns; 2
measures them on small universes).

Per panel and target it prints:

- ``rank IC``: the mean over dates of the cross-sectional Spearman correlation of the
  published prediction with the realized forward return, and ``t``, that mean over its
  standard error (dates taken as independent);
- ``attainable``: the same for the planted expected return (the truth) on the same dates,
  and ``share``, the first over the second;
- ``volatile yr``: the mean per-date rank IC within the high-volatility year, and its share;
- ``pooled IC``: Pearson correlation of prediction and outcome over all scored rows;
- ``common``: the share of the predictions' variance that is common to all assets on a
  date (variance of the per-date means over the total variance);
- ``slope``: the least-squares slope of the outcome on the prediction (about 1 when the
  predictions are expected returns in return units; 0 for no skill);
- ``ECE``: expected calibration error of the confidence (10 equal-count bins) and
  ``cover``: the share of outcomes inside the published interval (the goal is 0.80).

Usage::

    python bench/forecast_targets.py [--assets 50] [--years 12] [--retrain quarterly]
        [--seeds 0] [--panels calm volatile noise] [--targets raw vol_scaled ...]
        [--minimum-cross-section 20] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.targets import TARGETS
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from tests.support.synthetic_panels import (
    SyntheticPanel,
    calm_panel,
    noise_panel,
    per_date_rank_ic,
    pooled_ic,
    volatile_panel,
)

PANELS = {"calm": calm_panel, "volatile": volatile_panel, "noise": noise_panel}


def calibration_error(forecasts: pd.DataFrame, bins: int = 10) -> float:
    """Expected calibration error of ``confidence`` against the sign being right."""
    hits = (forecasts["prediction"] * forecasts["forward_return"] > 0).to_numpy(dtype=float)
    confidence = forecasts["confidence"].to_numpy(dtype=float)
    order = np.argsort(confidence, kind="stable")
    error = 0.0
    for chunk in np.array_split(order, bins):
        if chunk.size:
            error += chunk.size * abs(float(hits[chunk].mean() - confidence[chunk].mean()))
    return error / max(1, order.size)


def score(forecasts: pd.DataFrame, panel: SyntheticPanel, start: pd.Timestamp) -> dict[str, Any]:
    """Score a walk-forward's forecasts made from ``start`` against the panel's truth."""
    scored = forecasts.loc[forecasts["bar_time"] >= start].dropna(
        subset=["prediction", "forward_return"]
    )
    by_date = per_date_rank_ic(scored)
    truth = panel.attainable_rank_ic_by_date().reindex(by_date.index)
    prediction = scored["prediction"].to_numpy(dtype=float)
    outcome = scored["forward_return"].to_numpy(dtype=float)
    date_mean = scored.groupby("bar_time")["prediction"].transform("mean").to_numpy(dtype=float)
    variance = float(np.var(prediction))
    inside = (scored["interval_low"] <= scored["forward_return"]) & (
        scored["forward_return"] <= scored["interval_high"]
    )
    result: dict[str, Any] = {
        "rows": len(scored),
        "dates": len(by_date),
        "rank_ic": float(by_date.mean()),
        "rank_ic_t": float(by_date.mean() / (by_date.std() / np.sqrt(len(by_date)))),
        "attainable": float(truth.mean()),
        "pooled_ic": pooled_ic(scored),
        "common_share": float(np.var(date_mean) / variance) if variance > 0 else float("nan"),
        "slope": float(np.cov(prediction, outcome)[0, 1] / variance) if variance > 0 else 0.0,
        "ece": calibration_error(scored),
        "interval_cover": float(inside[scored["interval_low"].notna()].mean()),
    }
    result["share"] = result["rank_ic"] / result["attainable"]
    if panel.volatile_period is not None:
        first, last = panel.volatile_period
        inside_year = (by_date.index >= first) & (by_date.index <= last)
        result["volatile_rank_ic"] = float(by_date[inside_year].mean())
        result["volatile_attainable"] = float(truth[inside_year].mean())
    return result


def walk_forward_grid(
    *,
    seeds: Sequence[int],
    panels: Sequence[str],
    assets: int,
    years: float,
    configs: Mapping[str, Mapping[str, Any]],
    label: str,
    extra: Callable[[pd.DataFrame, pd.Timestamp], dict[str, Any]] | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the walk-forward with each named configuration on each seed's panels.

    Each row holds the seed, the panel, the configuration's name under ``label``, the
    seconds it took and :func:`score` (plus ``extra(forecasts, start)``); forecasts are
    scored from the panel's second year.
    """
    results = []
    for seed in seeds:
        for name in panels:
            panel = PANELS[name](assets=assets, years=years, seed=seed)
            bars = BarPanel.from_frames(panel.frames)
            start = bars.times[min(len(bars.times) - 1, 252)]
            for config_name, settings in configs.items():
                began = time.perf_counter()
                forecasts = WalkForwardTrainer(WalkForwardConfig(**settings)).run(bars)
                row = {
                    "seed": seed,
                    "panel": name,
                    label: config_name,
                    "seconds": time.perf_counter() - began,
                    **score(forecasts, panel, start),
                    **(extra(forecasts, start) if extra is not None else {}),
                }
                results.append(row)
                if on_row is not None:
                    on_row(row)
    return results


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
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument(
        "--minimum-cross-section", type=int, default=WalkForwardConfig().minimum_cross_section
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    results = walk_forward_grid(
        seeds=arguments.seeds,
        panels=arguments.panels,
        assets=arguments.assets,
        years=arguments.years,
        configs={
            target: {
                "model": "lightgbm",
                "retrain_frequency": arguments.retrain,
                "target": target,
                "minimum_cross_section": arguments.minimum_cross_section,
            }
            for target in arguments.targets
        },
        label="target",
        on_row=None if arguments.json else _print_row,
    )
    if arguments.json:
        print(
            json.dumps(
                {
                    "retrain": arguments.retrain,
                    "minimum_cross_section": arguments.minimum_cross_section,
                    "results": results,
                },
                indent=2,
            )
        )


def _print_row(row: dict[str, Any]) -> None:
    volatile = (
        f" volatile yr {row['volatile_rank_ic']:+.4f} "
        f"({row['volatile_rank_ic'] / row['volatile_attainable']:.0%} of "
        f"{row['volatile_attainable']:.4f})"
        if "volatile_rank_ic" in row
        else ""
    )
    truth = (
        f"attainable {row['attainable']:.4f} share {row['share']:.0%}"
        if np.isfinite(row["attainable"])
        else "attainable n/a (no signal)"
    )
    print(
        f"seed {row['seed']} {row['panel']:8s} {row['target']:10s} "
        f"rank IC {row['rank_ic']:+.4f} (t {row['rank_ic_t']:+.1f}) {truth}{volatile} "
        f"pooled IC {row['pooled_ic']:+.4f} "
        f"common {row['common_share']:.2f} slope {row['slope']:+.2f} ECE {row['ece']:.3f} "
        f"cover {row['interval_cover']:.2f} ({row['seconds']:.0f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
