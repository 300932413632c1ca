"""One model per asset, with a pooled model for assets that have too few rows.

A pooled model (one fit over every asset of a horizon) learns what the assets share; a
per-asset model learns what is particular to each, at the price of fewer rows. This
wrapper fits a model of the given kind on each asset with at least ``minimum_rows``
training rows, and one on all rows as the fallback for the others (and for assets it
never saw). Each per-asset model gets its own asset's validation rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from alpha_models.arrays import Array
from alpha_models.models.base import ForecastModel, ValidationSet

DEFAULT_MINIMUM_ROWS = 250
POOLED_FOLDER = "pooled"


def _names(assets: Array | None, rows: int) -> Array:
    if assets is None:
        raise ValueError("a per-asset model needs each row's asset")
    names = np.asarray(assets).astype(str)
    if names.shape != (rows,):
        raise ValueError(f"assets must have one name per row ({rows}); got shape {names.shape}")
    return names


class PerAssetModel(ForecastModel):
    """Route each row to its asset's own model; the pooled one covers the rest.

    Parameters
    ----------
    factory
        Builds an unfitted model of the wrapped kind.
    minimum_rows
        Fewest training rows for an asset's own model.
    """

    name = "per_asset"

    def __init__(
        self, factory: Callable[[], ForecastModel], *, minimum_rows: int = DEFAULT_MINIMUM_ROWS
    ):
        if minimum_rows < 2:
            raise ValueError("minimum_rows must be at least 2")
        self.factory = factory
        self.minimum_rows = minimum_rows
        self.pooled = factory()
        self.by_asset: dict[str, ForecastModel] = {}

    @property
    def params(self) -> dict[str, Any]:
        return {
            "model": self.pooled.name,
            "params": self.pooled.params,
            "minimum_rows": self.minimum_rows,
        }

    @property
    def uses_validation(self) -> bool:
        return self.pooled.uses_validation

    @property
    def fit_summary(self) -> dict[str, Any]:
        return {"own_models": sorted(self.by_asset), "pooled": self.pooled.fit_summary}

    def fit(
        self,
        features: Array,
        targets: Array,
        *,
        assets: Array | None = None,
        validation: ValidationSet | None = None,
    ) -> None:
        names = _names(assets, features.shape[0])
        self.pooled = self.factory()
        self.pooled.fit(features, targets, assets=names, validation=validation)
        held_names = (
            None
            if validation is None or validation.rows == 0
            else _names(validation.assets, validation.rows)
        )
        self.by_asset = {}
        for asset in np.unique(names):
            mine = names == asset
            if int(mine.sum()) < self.minimum_rows:
                continue
            own_validation = None
            if validation is not None and held_names is not None:
                held = held_names == asset
                if held.any():
                    own_validation = ValidationSet(
                        validation.features[held], validation.targets[held], held_names[held]
                    )
            model = self.factory()
            model.fit(features[mine], targets[mine], assets=names[mine], validation=own_validation)
            self.by_asset[str(asset)] = model

    def predict(self, features: Array, *, assets: Array | None = None) -> Array:
        names = _names(assets, features.shape[0])
        result = self.pooled.predict(features, assets=names)
        for asset, model in self.by_asset.items():
            mine = names == asset
            if mine.any():
                result[mine] = model.predict(features[mine], assets=names[mine])
        return np.asarray(result, dtype=np.float64)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        self.pooled.save(directory / POOLED_FOLDER)
        folders = {}
        for position, (asset, model) in enumerate(sorted(self.by_asset.items())):
            folder = f"asset_{position}"
            model.save(directory / folder)
            folders[asset] = folder
        return {"pooled": POOLED_FOLDER, "assets": folders}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        from alpha_models.models.factory import load_model

        self.pooled = load_model(directory / str(state["pooled"]))
        self.by_asset = {
            str(asset): load_model(directory / str(folder))
            for asset, folder in state["assets"].items()
        }
