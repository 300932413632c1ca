"""Ridge regression (scikit-learn) on features standardized with training statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import Ridge

from alpha_models.arrays import Array
from alpha_models.models.base import (
    ForecastModel,
    ValidationSet,
    as_matrix,
    check_training_arrays,
    row_dot,
)


class RidgeModel(ForecastModel):
    """Ridge regression; mean and scale come only from the rows given to ``fit``.

    Parameters
    ----------
    alpha
        L2 penalty.
    """

    name = "sklearn_ridge"

    def __init__(self, *, alpha: float = 10.0):
        if alpha < 0:
            raise ValueError("alpha must be non-negative")
        self.alpha = alpha
        self._mean: Array | None = None
        self._scale: Array | None = None
        self._coefficients: Array | None = None
        self._intercept = 0.0

    @property
    def params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        check_training_arrays(features, targets, minimum_rows=2)
        matrix = as_matrix(features)
        mean = matrix.mean(axis=0)
        scale = matrix.std(axis=0)
        scale[scale == 0] = 1.0
        regression = Ridge(alpha=self.alpha)
        regression.fit((matrix - mean) / scale, targets)
        self._mean, self._scale = mean, scale
        self._coefficients = np.asarray(regression.coef_, dtype=np.float64)
        self._intercept = float(regression.intercept_)

    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        if self._coefficients is None or self._mean is None or self._scale is None:
            raise RuntimeError("model is not fitted")
        standardized = (as_matrix(features) - self._mean) / self._scale
        return row_dot(standardized, self._coefficients) + self._intercept

    def _save_state(self, directory: Path) -> dict[str, Any]:
        if self._coefficients is None or self._mean is None or self._scale is None:
            raise RuntimeError("model is not fitted")
        return {
            "mean": self._mean.tolist(),
            "scale": self._scale.tolist(),
            "coefficients": self._coefficients.tolist(),
            "intercept": self._intercept,
        }

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self._mean = np.asarray(state["mean"], dtype=np.float64)
        self._scale = np.asarray(state["scale"], dtype=np.float64)
        self._coefficients = np.asarray(state["coefficients"], dtype=np.float64)
        self._intercept = float(state["intercept"])
