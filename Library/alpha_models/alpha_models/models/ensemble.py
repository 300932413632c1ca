"""An ensemble: the mean of its members; their agreement feeds calibration."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from alpha_models.arrays import Array
from alpha_models.models.base import ForecastModel


class EnsembleModel(ForecastModel):
    """Average the predictions of several models.

    Parameters
    ----------
    members
        Models fitted on the same rows.
    """

    name = "ensemble"

    def __init__(self, members: Sequence[ForecastModel]):
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = tuple(members)

    @property
    def params(self) -> dict[str, Any]:
        return {"members": [{"model": m.name, "params": m.params} for m in self.members]}

    def fit(self, features: Array, targets: Array) -> None:
        for member in self.members:
            member.fit(features, targets)

    def predict_members(self, features: Array) -> Array:
        return np.column_stack([member.predict(features) for member in self.members])

    def predict(self, features: Array) -> Array:
        return np.asarray(self.predict_members(features).mean(axis=1), dtype=np.float64)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        folders = []
        for position, member in enumerate(self.members):
            folder = f"member_{position}"
            member.save(directory / folder)
            folders.append(folder)
        return {"members": folders}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        from alpha_models.models.factory import load_model

        self.members = tuple(load_model(directory / str(folder)) for folder in state["members"])


def member_agreement(member_predictions: Array) -> Array:
    """Return the share of members whose sign matches the ensemble mean's sign.

    Parameters
    ----------
    member_predictions
        (rows, members) predictions.
    """
    mean_sign = np.sign(member_predictions.mean(axis=1, keepdims=True))
    return np.asarray((np.sign(member_predictions) == mean_sign).mean(axis=1), dtype=np.float64)
