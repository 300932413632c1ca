"""The interface every forecast model implements."""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from alpha_models.arrays import Array
from alpha_models.errors import InsufficientDataError

METADATA_FILE = "model.json"


@dataclass(frozen=True)
class ValidationSet:
    """Held-out rows a model may use while fitting (early stopping, ensemble weights).

    The walk-forward builds it from the newest dates of a fold's training rows, with the
    rows whose labels reach into it purged from the fitting rows
    (:func:`alpha_models.validation.purged_validation_split`).
    """

    features: Array
    targets: Array
    assets: Array | None = None

    @property
    def rows(self) -> int:
        """Number of validation rows."""
        return int(self.targets.shape[0])


class ForecastModel(abc.ABC):
    """A model that maps feature rows to expected returns.

    Subclasses set :attr:`name`, implement :meth:`fit`, :meth:`predict`,
    :meth:`params`, :meth:`_save_state` and :meth:`_load_state`.

    ``assets`` (an array of asset names, one per row) is passed to every fit and predict;
    pooled models ignore it, per-asset models route rows by it.
    """

    name: str = ""

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]:
        """Return the model's hyper-parameters (JSON-serializable)."""

    @abc.abstractmethod
    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        """Fit on a (rows, features) float array and its (rows,) targets.

        ``validation``: held-out rows for early stopping or weighting; models that have no
        use for them ignore them.
        """

    @abc.abstractmethod
    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        """Return the prediction of each (rows, features) row."""

    def predict_members(self, features: Array, *, assets: Array | None = None) -> Array:
        """Return (rows, members) predictions; a single model is its own member."""
        return self.predict(features, assets=assets)[:, np.newaxis]

    def combine(self, members: Array) -> Array:
        """Return the model's prediction from its (rows, members) member predictions."""
        return np.asarray(members[:, 0], dtype=np.float64)

    def member_weights(self) -> Array:
        """Return each member's weight in :meth:`combine` (one member: ``[1.0]``)."""
        return np.ones(1)

    @property
    def uses_validation(self) -> bool:
        """Whether :meth:`fit` uses a validation set; if not, the walk-forward fits it on
        every training row instead of holding the newest dates out."""
        return False

    @property
    def fit_summary(self) -> dict[str, Any]:
        """What fitting chose from the data (rounds kept, ensemble weights...); JSON-able."""
        return {}

    @abc.abstractmethod
    def _save_state(self, directory: Path) -> dict[str, Any]:
        """Write fitted state files to ``directory``; return JSON-able state."""

    @abc.abstractmethod
    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        """Restore fitted state written by :meth:`_save_state`."""

    def save(self, directory: Path) -> None:
        """Write the fitted model to ``directory`` (created if needed)."""
        directory.mkdir(parents=True, exist_ok=True)
        state = self._save_state(directory)
        document = {"model": self.name, "params": self.params, "state": state}
        (directory / METADATA_FILE).write_text(json.dumps(document, indent=2, sort_keys=True))


def check_training_arrays(features: Array, targets: Array, minimum_rows: int) -> None:
    """Raise if the training arrays are malformed, not finite or too small."""
    if features.ndim != 2 or targets.ndim != 1 or features.shape[0] != targets.shape[0]:
        raise ValueError(
            f"features must be (rows, features) and targets (rows,); got {features.shape} and {targets.shape}"
        )
    if features.shape[0] < minimum_rows:
        raise InsufficientDataError(
            f"{features.shape[0]} training rows; at least {minimum_rows} needed"
        )
    if not (np.isfinite(features).all() and np.isfinite(targets).all()):
        raise ValueError("training features and targets must be finite")


def as_matrix(features: Array) -> Array:
    """Return ``features`` as a C-contiguous float64 (rows, features) array."""
    matrix = np.ascontiguousarray(features, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"features must be (rows, features); got shape {matrix.shape}")
    return matrix


def row_dot(matrix: Array, weights: Array) -> Array:
    """Return ``matrix @ weights`` computed row by row.

    Unlike BLAS, the result of a row does not depend on how many rows are passed,
    so a forecast is bit-identical whether it is made alone or in a batch.
    """
    return np.asarray(np.multiply(matrix, weights).sum(axis=1), dtype=np.float64)
