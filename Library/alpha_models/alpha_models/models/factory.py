"""Build models by kind and load saved ones."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from alpha_models.errors import RegistryError
from alpha_models.models.autoregressive import AutoregressiveModel
from alpha_models.models.base import METADATA_FILE, ForecastModel
from alpha_models.models.ensemble import EnsembleModel
from alpha_models.models.gradient_boosting import LightGBMModel
from alpha_models.models.linear import RidgeModel

MODEL_KINDS: tuple[str, ...] = ("lightgbm", "sklearn", "statsmodels", "ensemble")


def _lag_columns(feature_names: Sequence[str]) -> list[int]:
    columns = [
        i
        for i, name in enumerate(feature_names)
        if name.startswith("return_1") and "over" not in name
    ]
    if not columns:
        raise ValueError("the statsmodels model needs lagged-return features named return_1*")
    return columns


def make_model(kind: str, *, seed: int, feature_names: Sequence[str]) -> ForecastModel:
    """Return an unfitted model.

    Parameters
    ----------
    kind
        One of :data:`MODEL_KINDS`.
    seed
        Random seed for stochastic models.
    feature_names
        Names of the feature columns the model will see.
    """
    if kind == "lightgbm":
        return LightGBMModel(seed=seed)
    if kind == "sklearn":
        return RidgeModel()
    if kind == "statsmodels":
        return AutoregressiveModel(lag_columns=_lag_columns(feature_names))
    if kind == "ensemble":
        return EnsembleModel(
            [
                LightGBMModel(seed=seed),
                RidgeModel(),
                AutoregressiveModel(lag_columns=_lag_columns(feature_names)),
            ]
        )
    raise ValueError(f"unknown model kind {kind!r}; expected one of {list(MODEL_KINDS)}")


def load_model(directory: Path) -> ForecastModel:
    """Load a model written by :meth:`ForecastModel.save`.

    Raises
    ------
    RegistryError
        If the folder holds no readable model.
    """
    try:
        document = json.loads((directory / METADATA_FILE).read_text())
    except (OSError, ValueError) as error:
        raise RegistryError(f"no readable model in {directory}: {error}") from error
    name, params, state = (
        document.get("model"),
        document.get("params", {}),
        document.get("state", {}),
    )
    model: ForecastModel
    if name == LightGBMModel.name:
        overrides = {k: v for k, v in params.items() if k != "rounds"}
        model = LightGBMModel(
            seed=int(params["seed"]), rounds=int(params["rounds"]), overrides=overrides
        )
    elif name == RidgeModel.name:
        model = RidgeModel(alpha=float(params["alpha"]))
    elif name == AutoregressiveModel.name:
        model = AutoregressiveModel(lag_columns=params["lag_columns"])
    elif name == EnsembleModel.name:
        model = EnsembleModel([RidgeModel()])
    else:
        raise RegistryError(f"unknown model {name!r} in {directory}")
    model._load_state(directory, state)
    return model
