"""Walk-forward retraining overhead over raw ``lightgbm.train`` on the same matrices.

Synthetic seeded random walks (``--assets`` x ``--bars`` daily bars). The engine run is
``WalkForwardTrainer.run`` with LightGBM and a calendar schedule (``--retrain``),
minus its feature and label computation (timed separately): row selection, the
look-ahead guard, target clipping, data hashing, training, calibration and
forecasting of every period. The baseline trains ``lightgbm.train`` with identical
parameters on exactly the training matrices the engine used (captured during the
engine run, targets already clipped): on the fold's fitting rows, stopping early on its
purged validation slice as the engine does (the same rows, the same patience), and
nothing else.

Usage::

    python bench/forecast_retrain.py [--assets 60] [--bars 1500] [--retrain quarterly] [--json]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import lightgbm
import numpy as np
import pandas as pd

from alpha_models.models.gradient_boosting import LightGBMModel
from alpha_models.validation import purged_validation_split
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from bench.forecast_cycle import synthetic_panel


class RecordingTrainer(WalkForwardTrainer):
    """A trainer that keeps the training matrices it was given."""

    def __init__(self, config: WalkForwardConfig):
        super().__init__(config)
        self.matrices: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def train(
        self,
        features: np.ndarray,
        targets: np.ndarray,
        label_end: np.ndarray,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        self.matrices.append((features, targets, label_end, kwargs["available_at"]))
        return super().train(features, targets, label_end, *args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=60)
    parser.add_argument("--bars", type=int, default=1500)
    parser.add_argument(
        "--retrain", default="quarterly", choices=["weekly", "monthly", "quarterly"]
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    panel = synthetic_panel(arguments.assets, arguments.bars, arguments.seed)
    config = WalkForwardConfig(model="lightgbm", retrain_frequency=arguments.retrain, seed=0)
    trainer = RecordingTrainer(config)

    trainer.run(panel)  # first run: captures the training matrices (not timed)
    template = LightGBMModel(seed=0)
    parameters = {
        k: v for k, v in template.params.items() if k not in ("rounds", "early_stopping_rounds")
    }
    clipped = []
    for features, targets, label_end, available_at in trainer.matrices:
        low, high = np.quantile(
            targets, [config.target_clip_quantile, 1 - config.target_clip_quantile]
        )
        split = purged_validation_split(
            available_at,
            label_end,
            fraction=config.validation_fraction,
            embargo=pd.Timedelta(config.effective_embargo),
            minimum_fit_rows=config.minimum_training_rows,
            minimum_validation_rows=config.minimum_validation_rows,
        )
        matrix, labels = np.ascontiguousarray(features), np.clip(targets, low, high)
        if split is None:
            clipped.append((matrix, labels, None, None))
        else:
            clipped.append(
                (
                    matrix[split.fit],
                    labels[split.fit],
                    matrix[split.held_out],
                    labels[split.held_out],
                )
            )
    started = time.perf_counter()
    for features, targets, held_features, held_targets in clipped:
        dataset = lightgbm.Dataset(features, label=targets, params={"verbosity": -1, "seed": 0})
        if held_features is None:
            lightgbm.train(parameters, dataset, num_boost_round=template.rounds)
            continue
        held = lightgbm.Dataset(held_features, label=held_targets, reference=dataset)
        lightgbm.train(
            {**parameters, "metric": "l2"},
            dataset,
            num_boost_round=template.rounds,
            valid_sets=[held],
            callbacks=[lightgbm.early_stopping(template.early_stopping_rounds, verbose=False)],
        )
    raw_seconds = time.perf_counter() - started

    # A fresh trainer: the first one keeps the versions it trained and would only look
    # them up again.
    timed = WalkForwardTrainer(config)
    started = time.perf_counter()
    timed.prepare(panel)
    prepare_seconds = time.perf_counter() - started
    started = time.perf_counter()
    forecasts = timed.run(panel)
    run_seconds = time.perf_counter() - started
    engine_seconds = run_seconds - prepare_seconds

    figures = {
        "assets": arguments.assets,
        "bars": arguments.bars,
        "retrain": arguments.retrain,
        "periods_trained": len(clipped),
        "training_rows_total": int(sum(f.shape[0] for f, _, _, _ in clipped)),
        "forecasts": len(forecasts),
        "features_and_labels_seconds": round(prepare_seconds, 3),
        "walk_forward_seconds": round(engine_seconds, 3),
        "raw_lightgbm_train_seconds": round(raw_seconds, 3),
        "overhead_ratio": round(engine_seconds / raw_seconds, 3),
        "goal_ratio": 1.3,
    }
    if arguments.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:28s} {value}")


if __name__ == "__main__":
    main()
