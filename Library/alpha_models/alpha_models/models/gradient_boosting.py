"""LightGBM regressor; predicts through the numpy API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm
import numpy as np

from alpha_models.arrays import Array
from alpha_models.models.base import (
    ForecastModel,
    ValidationSet,
    as_matrix,
    check_training_arrays,
)

MODEL_FILE = "model.txt"
DEFAULT_ROUNDS = 300
DEFAULT_EARLY_STOPPING_ROUNDS = 30


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
        Boosting rounds; with a validation set, the most rounds.
    early_stopping_rounds
        With a validation set, training stops after this many rounds without a lower
        validation L2 loss, and the model keeps the rounds up to the best one (0: no early
        stopping). Without a validation set every round is trained.
    overrides
        LightGBM parameters replacing the defaults.
    """

    name = "lightgbm"

    def __init__(
        self,
        *,
        seed: int = 0,
        rounds: int = DEFAULT_ROUNDS,
        early_stopping_rounds: int = DEFAULT_EARLY_STOPPING_ROUNDS,
        overrides: dict[str, Any] | None = None,
    ):
        if rounds < 1:
            raise ValueError("rounds must be at least 1")
        if early_stopping_rounds < 0:
            raise ValueError("early_stopping_rounds must be non-negative")
        self.seed = seed
        self.rounds = rounds
        self.early_stopping_rounds = early_stopping_rounds
        self._parameters = lightgbm_parameters(seed, overrides)
        self._booster: lightgbm.Booster | None = None
        self._rounds_kept = 0
        self._validation_rows = 0

    @property
    def params(self) -> dict[str, Any]:
        return {
            "rounds": self.rounds,
            "early_stopping_rounds": self.early_stopping_rounds,
            **self._parameters,
        }

    @property
    def uses_validation(self) -> bool:
        return self.early_stopping_rounds > 0

    @property
    def fit_summary(self) -> dict[str, Any]:
        return {"rounds_kept": self._rounds_kept, "validation_rows": self._validation_rows}

    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        check_training_arrays(features, targets, minimum_rows=2)
        dataset = lightgbm.Dataset(
            as_matrix(features),
            label=np.ascontiguousarray(targets, dtype=np.float64),
            params={"verbosity": -1, "seed": self.seed},
            free_raw_data=True,
        )
        if validation is None or validation.rows == 0 or self.early_stopping_rounds == 0:
            self._booster = lightgbm.train(self._parameters, dataset, num_boost_round=self.rounds)
            self._rounds_kept, self._validation_rows = self.rounds, 0
            return
        held_out = lightgbm.Dataset(
            as_matrix(validation.features),
            label=np.ascontiguousarray(validation.targets, dtype=np.float64),
            reference=dataset,
            free_raw_data=True,
        )
        booster = lightgbm.train(
            {**self._parameters, "metric": "l2"},
            dataset,
            num_boost_round=self.rounds,
            valid_sets=[held_out],
            callbacks=[lightgbm.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        kept = int(booster.best_iteration) or self.rounds
        # keep only the rounds up to the best: the saved file and every prediction use them
        self._booster = lightgbm.Booster(model_str=booster.model_to_string(num_iteration=kept))
        self._rounds_kept, self._validation_rows = kept, validation.rows

    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        if self._booster is None:
            raise RuntimeError("model is not fitted")
        result = self._booster.predict(as_matrix(features), num_threads=1)
        return np.asarray(result, dtype=np.float64)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        if self._booster is None:
            raise RuntimeError("model is not fitted")
        self._booster.save_model(str(directory / MODEL_FILE))
        return {"file": MODEL_FILE, **self.fit_summary}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self._booster = lightgbm.Booster(model_file=str(directory / str(state["file"])))
        self._rounds_kept = int(state.get("rounds_kept", self._booster.current_iteration()))
        self._validation_rows = int(state.get("validation_rows", 0))
