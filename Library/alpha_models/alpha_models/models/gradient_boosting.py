"""LightGBM regressor; predicts through the numpy API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm
import numpy as np

from alpha_models.arrays import Array
from alpha_models.models.base import ForecastModel, as_matrix, check_training_arrays

MODEL_FILE = "model.txt"


def lightgbm_parameters(seed: int, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the deterministic LightGBM training parameters for ``seed``."""
    parameters: dict[str, Any] = {
        "objective": "regression",
        "learning_rate": 0.05,
        "num_leaves": 15,
        "min_data_in_leaf": 100,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "seed": seed,
        "deterministic": True,
        "force_col_wise": True,
        "num_threads": 1,
        "verbosity": -1,
    }
    parameters.update(overrides or {})
    return parameters


class LightGBMModel(ForecastModel):
    """Gradient-boosted trees (LightGBM) on the pooled feature rows.

    Parameters
    ----------
    seed
        Random seed; the same data and seed give bit-identical predictions.
    rounds
        Boosting rounds.
    overrides
        LightGBM parameters replacing the defaults.
    """

    name = "lightgbm"

    def __init__(
        self, *, seed: int = 0, rounds: int = 150, overrides: dict[str, Any] | None = None
    ):
        if rounds < 1:
            raise ValueError("rounds must be at least 1")
        self.seed = seed
        self.rounds = rounds
        self._parameters = lightgbm_parameters(seed, overrides)
        self._booster: lightgbm.Booster | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {"rounds": self.rounds, **self._parameters}

    def fit(self, features: Array, targets: Array) -> None:
        check_training_arrays(features, targets, minimum_rows=2)
        dataset = lightgbm.Dataset(
            as_matrix(features),
            label=np.ascontiguousarray(targets, dtype=np.float64),
            params={"verbosity": -1, "seed": self.seed},
            free_raw_data=True,
        )
        self._booster = lightgbm.train(self._parameters, dataset, num_boost_round=self.rounds)

    def predict(self, features: Array) -> Array:
        if self._booster is None:
            raise RuntimeError("model is not fitted")
        result = self._booster.predict(as_matrix(features), num_threads=1)
        return np.asarray(result, dtype=np.float64)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        if self._booster is None:
            raise RuntimeError("model is not fitted")
        self._booster.save_model(str(directory / MODEL_FILE))
        return {"file": MODEL_FILE}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self._booster = lightgbm.Booster(model_file=str(directory / str(state["file"])))
