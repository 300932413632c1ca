"""An ensemble: a weighted sum of its members, the weights chosen on held-out rows.

Members are fitted on the same rows. With a validation set (the newest, purged dates of
the fold; :mod:`alpha_models.validation`) the weights are the non-negative least-squares
fit of the validation targets on the members' validation predictions (stacked regression,
Breiman 1996): out of sample, and a member that adds nothing gets weight 0. Without one,
or when no member helps (every weight 0), the members are averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import nnls

from alpha_models.arrays import Array
from alpha_models.models.base import ForecastModel, ValidationSet, row_dot


class EnsembleModel(ForecastModel):
    """Combine the predictions of several models with out-of-sample weights.

    Parameters
    ----------
    members
        Models fitted on the same rows.
    weights
        Fixed weights (e.g. restored from a saved version); chosen at fit time otherwise.
    """

    name = "ensemble"

    def __init__(self, members: Sequence[ForecastModel], weights: Sequence[float] | None = None):
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = tuple(members)
        self._weights = self._equal() if weights is None else self._checked(weights)
        self._weighting = "equal"

    def _equal(self) -> Array:
        return np.full(len(self.members), 1.0 / len(self.members))

    def _checked(self, weights: Sequence[float]) -> Array:
        array = np.asarray(weights, dtype=np.float64)
        if array.shape != (len(self.members),) or not np.isfinite(array).all() or (array < 0).any():
            raise ValueError(f"weights must be {len(self.members)} non-negative numbers")
        return array

    @property
    def params(self) -> dict[str, Any]:
        return {"members": [{"model": m.name, "params": m.params} for m in self.members]}

    @property
    def uses_validation(self) -> bool:
        return len(self.members) > 1 or self.members[0].uses_validation

    @property
    def fit_summary(self) -> dict[str, Any]:
        return {
            "weighting": self._weighting,
            "weights": [float(w) for w in self._weights],
            "members": [member.fit_summary for member in self.members],
        }

    def member_weights(self) -> Array:
        return self._weights.copy()

    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        for member in self.members:
            member.fit(features, targets, assets=assets, validation=validation)
        self._weights, self._weighting = self._equal(), "equal"
        if validation is None or validation.rows < 2 * len(self.members):
            return
        held_out = self.predict_members(validation.features, assets=validation.assets)
        weights, _ = nnls(held_out, np.asarray(validation.targets, dtype=np.float64))
        if np.isfinite(weights).all() and float(weights.sum()) > 0:
            self._weights, self._weighting = np.asarray(weights, dtype=np.float64), "validation"

    def predict_members(self, features: Array, *, assets: Array | None = None) -> Array:
        return np.column_stack([member.predict(features, assets=assets) for member in self.members])

    def combine(self, members: Array) -> Array:
        return row_dot(np.ascontiguousarray(members, dtype=np.float64), self._weights)

    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        return self.combine(self.predict_members(features, assets=assets))

    def _save_state(self, directory: Path) -> dict[str, Any]:
        folders = []
        for position, member in enumerate(self.members):
            folder = f"member_{position}"
            member.save(directory / folder)
            folders.append(folder)
        return {
            "members": folders,
            "weights": [float(w) for w in self._weights],
            "weighting": self._weighting,
        }

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        from alpha_models.models.factory import load_model

        self.members = tuple(load_model(directory / str(folder)) for folder in state["members"])
        # versions saved before weights were chosen averaged their members
        self._weights = self._checked(state["weights"]) if "weights" in state else self._equal()
        self._weighting = str(state.get("weighting", "equal"))


def member_agreement(member_predictions: Array, weights: Array | None = None) -> Array:
    """Return the weighted share of members whose sign matches the ensemble's sign.

    Parameters
    ----------
    member_predictions
        (rows, members) predictions.
    weights
        Each member's non-negative weight; equal weights when omitted (the ensemble's
        sign is then the sign of the mean).
    """
    count = member_predictions.shape[1]
    weights = np.full(count, 1.0 / count) if weights is None else np.asarray(weights, np.float64)
    total = float(weights.sum())
    if total <= 0:
        weights, total = np.full(count, 1.0 / count), 1.0
    combined_sign = np.sign(row_dot(member_predictions, weights))[:, np.newaxis]
    agree = (np.sign(member_predictions) == combined_sign).astype(np.float64)
    return np.asarray(row_dot(agree, weights) / total, dtype=np.float64)
