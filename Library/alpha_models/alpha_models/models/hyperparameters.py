"""Hyper-parameters of each model kind: the allowed names, types and ranges.

A configuration gives them as ``{kind: {name: value}}`` (``WalkForwardConfig.hyperparameters``,
``ATS_FORECAST_HYPERPARAMETERS`` or LEAN's ``hyperparameters`` parameter as JSON); names
left out keep the model's defaults. Unknown kinds or names, wrong types and values out of
range are refused naming the path, the rule and what was given.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bound:
    """An allowed numeric range, inclusive at both ends."""

    low: float
    high: float
    integer: bool = False

    def check(self, path: str, value: object) -> int | float:
        """Return ``value`` as a number in range, or raise naming ``path`` and the range."""
        kind = "an integer" if self.integer else "a number"
        rule = f"{path} must be {kind} in [{_text(self.low)}, {_text(self.high)}]"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{rule}; got {value!r}")
        if self.integer and not float(value).is_integer():
            raise ValueError(f"{rule}; got {value!r}")
        number = float(value)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            raise ValueError(f"{rule}; got {value!r}")
        return int(number) if self.integer else number


def _text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


LIGHTGBM_RANGES: dict[str, Bound] = {
    "rounds": Bound(1, 10_000, integer=True),
    "early_stopping_rounds": Bound(0, 1_000, integer=True),
    "learning_rate": Bound(1e-4, 1.0),
    "num_leaves": Bound(2, 4_096, integer=True),
    "max_depth": Bound(-1, 64, integer=True),
    "min_data_in_leaf": Bound(1, 1_000_000, integer=True),
    "feature_fraction": Bound(0.01, 1.0),
    "bagging_fraction": Bound(0.01, 1.0),
    "bagging_freq": Bound(0, 1_000, integer=True),
    "lambda_l1": Bound(0.0, 1e6),
    "lambda_l2": Bound(0.0, 1e6),
    "min_gain_to_split": Bound(0.0, 1e6),
}
"""LightGBM: ``rounds`` is the number of boosting rounds (the most, with early stopping);
``early_stopping_rounds`` stops after that many rounds without a better validation loss
(0: never); the rest are LightGBM's own parameters."""

HYPERPARAMETER_RANGES: dict[str, dict[str, Bound]] = {
    "lightgbm": LIGHTGBM_RANGES,
    "sklearn": {"alpha": Bound(0.0, 1e9)},
    "statsmodels": {},
    "per_asset": {"minimum_rows": Bound(10, 1e9, integer=True)},
}
"""Allowed names and ranges per kind (``per_asset``: the fewest rows an asset needs for a
model of its own; assets with fewer use the pooled fallback)."""


def validate_hyperparameters(value: object) -> dict[str, dict[str, int | float]]:
    """Return ``value`` checked and normalized: ``{kind: {name: number}}``.

    ``value`` may be a mapping or its JSON text (blank: none).

    Raises
    ------
    ValueError
        Naming the offending path (``hyperparameters.lightgbm.num_leaves``), the rule and
        the value given.
    """
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError as error:
            raise ValueError(f"hyperparameters must be a JSON object; {error}") from error
    if not isinstance(value, Mapping):
        raise ValueError(f"hyperparameters must be an object of kinds; got {value!r}")
    checked: dict[str, dict[str, int | float]] = {}
    for kind, settings in value.items():
        ranges = HYPERPARAMETER_RANGES.get(str(kind))
        if ranges is None:
            raise ValueError(
                f"hyperparameters.{kind}: unknown model kind; expected one of "
                f"{sorted(HYPERPARAMETER_RANGES)}"
            )
        if not isinstance(settings, Mapping):
            raise ValueError(f"hyperparameters.{kind} must be an object; got {settings!r}")
        checked[str(kind)] = {}
        for name, setting in settings.items():
            bound = ranges.get(str(name))
            if bound is None:
                raise ValueError(
                    f"hyperparameters.{kind}.{name}: unknown; allowed {sorted(ranges) or 'none'}"
                )
            checked[str(kind)][str(name)] = bound.check(f"hyperparameters.{kind}.{name}", setting)
    return checked


def settings_of(hyperparameters: Mapping[str, Mapping[str, Any]], kind: str) -> dict[str, Any]:
    """Return the given settings of ``kind`` (empty when none were given)."""
    return dict(hyperparameters.get(kind, {}))
