"""Build models by kind and load saved ones."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from alpha_models.errors import RegistryError
from alpha_models.models.autoregressive import AutoregressiveModel
from alpha_models.models.base import METADATA_FILE, ForecastModel
from alpha_models.models.ensemble import EnsembleModel
from alpha_models.models.gradient_boosting import (
    DEFAULT_EARLY_STOPPING_ROUNDS,
    DEFAULT_ROUNDS,
    LightGBMModel,
)
from alpha_models.models.hyperparameters import settings_of
from alpha_models.models.linear import RidgeModel
from alpha_models.models.per_asset import DEFAULT_MINIMUM_ROWS, PerAssetModel

MODEL_KINDS: tuple[str, ...] = ("lightgbm", "sklearn", "statsmodels", "ensemble")
"""Model kinds; each but ``ensemble`` can also be fitted per asset (``SCOPES``)."""

SCOPES: tuple[str, ...] = ("pooled", "per_asset")
"""``pooled``: one model over every asset of a horizon; ``per_asset``: one per asset, with
the pooled model for assets with too few rows."""

PER_ASSET_SUFFIX = "/per_asset"

DEFAULT_ENSEMBLE_MEMBERS: tuple[str, ...] = (
    "lightgbm",
    "sklearn",
    "statsmodels",
    "sklearn/per_asset",
)
"""The ensemble's members: three pooled models and a per-asset ridge regression."""


def _lag_columns(feature_names: Sequence[str]) -> list[int]:
    columns = [
        i
        for i, name in enumerate(feature_names)
        if name.startswith("return_1") and "over" not in name
    ]
    if not columns:
        raise ValueError("the statsmodels model needs lagged-return features named return_1*")
    return columns


def check_member(spec: str) -> tuple[str, str]:
    """Split an ensemble member ``kind`` or ``kind/per_asset`` into (kind, scope).

    Raises
    ------
    ValueError
        If the kind is unknown or is itself an ensemble.
    """
    kind, scope = (
        (spec[: -len(PER_ASSET_SUFFIX)], "per_asset")
        if spec.endswith(PER_ASSET_SUFFIX)
        else (spec, "pooled")
    )
    if kind not in MODEL_KINDS or kind == "ensemble":
        allowed = [k for k in MODEL_KINDS if k != "ensemble"]
        raise ValueError(
            f"unknown ensemble member {spec!r}; expected one of {allowed}, "
            f"each optionally followed by {PER_ASSET_SUFFIX!r}"
        )
    return kind, scope


def _single(
    kind: str,
    *,
    seed: int,
    feature_names: Sequence[str],
    hyperparameters: Mapping[str, Mapping[str, Any]],
) -> ForecastModel:
    if kind == "lightgbm":
        settings = settings_of(hyperparameters, "lightgbm")
        rounds = int(settings.pop("rounds", DEFAULT_ROUNDS))
        patience = int(settings.pop("early_stopping_rounds", DEFAULT_EARLY_STOPPING_ROUNDS))
        return LightGBMModel(
            seed=seed, rounds=rounds, early_stopping_rounds=patience, overrides=settings
        )
    if kind == "sklearn":
        return RidgeModel(
            **{k: float(v) for k, v in settings_of(hyperparameters, "sklearn").items()}
        )
    if kind == "statsmodels":
        return AutoregressiveModel(lag_columns=_lag_columns(feature_names))
    raise ValueError(f"unknown model kind {kind!r}; expected one of {list(MODEL_KINDS)}")


def _scoped(
    kind: str,
    scope: str,
    *,
    seed: int,
    feature_names: Sequence[str],
    hyperparameters: Mapping[str, Mapping[str, Any]],
) -> ForecastModel:
    def build() -> ForecastModel:
        return _single(
            kind, seed=seed, feature_names=feature_names, hyperparameters=hyperparameters
        )

    if scope == "pooled":
        return build()
    if scope == "per_asset":
        minimum = int(settings_of(hyperparameters, "per_asset").get("minimum_rows", 0))
        return PerAssetModel(build, minimum_rows=minimum or DEFAULT_MINIMUM_ROWS)
    raise ValueError(f"unknown scope {scope!r}; expected one of {list(SCOPES)}")


def make_model(
    kind: str,
    *,
    seed: int,
    feature_names: Sequence[str],
    hyperparameters: Mapping[str, Mapping[str, Any]] | None = None,
    scope: str = "pooled",
    members: Sequence[str] = DEFAULT_ENSEMBLE_MEMBERS,
) -> ForecastModel:
    """Return an unfitted model.

    Parameters
    ----------
    kind
        One of :data:`MODEL_KINDS`.
    seed
        Random seed for stochastic models.
    feature_names
        Names of the feature columns the model will see.
    hyperparameters
        ``{kind: {name: value}}``, checked by
        :func:`alpha_models.models.hyperparameters.validate_hyperparameters`.
    scope
        One of :data:`SCOPES` (not for ``ensemble``, whose members carry their own).
    members
        The ensemble's members, each ``kind`` or ``kind/per_asset``.
    """
    settings = hyperparameters or {}
    if kind == "ensemble":
        if scope != "pooled":
            raise ValueError("an ensemble's scope is set per member (kind/per_asset)")
        if not members:
            raise ValueError("an ensemble needs at least one member")
        return EnsembleModel(
            [
                _scoped(
                    *check_member(spec),
                    seed=seed,
                    feature_names=feature_names,
                    hyperparameters=settings,
                )
                for spec in members
            ]
        )
    return _scoped(kind, scope, seed=seed, feature_names=feature_names, hyperparameters=settings)


def _unfitted(name: object, params: Mapping[str, Any]) -> ForecastModel:
    """Rebuild an unfitted model from a saved document's ``model`` and ``params``."""
    if name == LightGBMModel.name:
        known = ("rounds", "early_stopping_rounds")
        return LightGBMModel(
            seed=int(params["seed"]),
            rounds=int(params["rounds"]),
            early_stopping_rounds=int(params.get("early_stopping_rounds", 0)),
            overrides={k: v for k, v in params.items() if k not in known},
        )
    if name == RidgeModel.name:
        return RidgeModel(alpha=float(params["alpha"]))
    if name == AutoregressiveModel.name:
        return AutoregressiveModel(lag_columns=params["lag_columns"])
    if name == EnsembleModel.name:
        return EnsembleModel([_unfitted(m["model"], m["params"]) for m in params["members"]])
    if name == PerAssetModel.name:
        inner_name, inner = params["model"], params["params"]
        return PerAssetModel(
            lambda: _unfitted(inner_name, inner), minimum_rows=int(params["minimum_rows"])
        )
    raise ValueError(f"unknown model {name!r}")


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
    try:
        model = _unfitted(document.get("model"), document.get("params", {}))
    except (KeyError, TypeError, ValueError) as error:
        raise RegistryError(f"unknown model in {directory}: {error}") from error
    model._load_state(directory, document.get("state", {}))
    return model
