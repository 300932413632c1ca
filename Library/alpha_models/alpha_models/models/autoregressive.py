"""Pooled autoregression of returns on their own lags (statsmodels OLS)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import statsmodels.api as statsmodels_api

from alpha_models.arrays import Array
from alpha_models.models.base import (
    ForecastModel,
    ValidationSet,
    as_matrix,
    check_training_arrays,
    row_dot,
)


class AutoregressiveModel(ForecastModel):
    """AR(p) on lagged returns, pooled across assets, estimated with statsmodels.

    Parameters
    ----------
    lag_columns
        Positions of the lagged-return features in the feature rows.
    """

    name = "statsmodels_ar"

    def __init__(self, *, lag_columns: Sequence[int]):
        if not lag_columns:
            raise ValueError("lag_columns must name at least one feature column")
        self.lag_columns = tuple(int(column) for column in lag_columns)
        self._coefficients: Array | None = None

    @property
    def params(self) -> dict[str, Any]:
        return {"lag_columns": list(self.lag_columns)}

    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        check_training_arrays(features, targets, minimum_rows=len(self.lag_columns) + 2)
        design = statsmodels_api.add_constant(
            as_matrix(features)[:, self.lag_columns], has_constant="add"
        )
        result = statsmodels_api.OLS(np.asarray(targets, dtype=np.float64), design).fit()
        self._coefficients = np.asarray(result.params, dtype=np.float64)

    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        if self._coefficients is None:
            raise RuntimeError("model is not fitted")
        lags = as_matrix(features)[:, self.lag_columns]
        return row_dot(lags, self._coefficients[1:]) + float(self._coefficients[0])

    def _save_state(self, directory: Path) -> dict[str, Any]:
        if self._coefficients is None:
            raise RuntimeError("model is not fitted")
        return {"coefficients": self._coefficients.tolist()}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self._coefficients = np.asarray(state["coefficients"], dtype=np.float64)
