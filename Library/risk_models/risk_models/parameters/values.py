"""``StrategyParameters``: one validated, immutable set of strategy parameter values."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from risk_models.parameters.schema import (
    PARAMETER_SPECS,
    CrossFieldError,
    ParameterError,
    ParameterValue,
)


def _default(name: str) -> Any:
    return PARAMETER_SPECS[name].default


@dataclass(frozen=True)
class StrategyParameters:
    """Every strategy parameter, validated one by one and against each other.

    Field meanings, units and ranges are in
    :data:`risk_models.parameters.schema.PARAMETER_SPECS`. Construct with keywords;
    change with :meth:`replace`, which validates again.

    Raises
    ------
    ParameterError
        From the constructor, if a value is out of range or two values contradict.
    """

    entry_confidence: float = _default("entry_confidence")
    max_allocation: float = _default("max_allocation")
    gross_exposure_cap: float = _default("gross_exposure_cap")
    min_prediction_magnitude: float = _default("min_prediction_magnitude")
    forecast_ttl_seconds: float = _default("forecast_ttl_seconds")
    low_confidence_threshold: float = _default("low_confidence_threshold")
    low_confidence_multiplier: float = _default("low_confidence_multiplier")
    drawdown_threshold: float = _default("drawdown_threshold")
    drawdown_multiplier: float = _default("drawdown_multiplier")
    volatility_ratio_threshold: float = _default("volatility_ratio_threshold")
    volatility_multiplier: float = _default("volatility_multiplier")
    skill_window: int = _default("skill_window")
    skill_min_observations: int = _default("skill_min_observations")
    skill_min_hit_rate: float = _default("skill_min_hit_rate")
    skill_min_information_coefficient: float = _default("skill_min_information_coefficient")
    skill_multiplier: float = _default("skill_multiplier")
    volatility_window: int = _default("volatility_window")
    volatility_long_run_window: int = _default("volatility_long_run_window")
    garch_refit_seconds: float = _default("garch_refit_seconds")
    drawdown_halt_limit: float = _default("drawdown_halt_limit")
    volatility_spike_ratio: float = _default("volatility_spike_ratio")
    volatility_clear_ratio: float = _default("volatility_clear_ratio")
    stale_forecast_seconds: float = _default("stale_forecast_seconds")
    stale_market_data_seconds: float = _default("stale_market_data_seconds")
    state_min_dwell_seconds: float = _default("state_min_dwell_seconds")
    auto_clear_stale: bool = _default("auto_clear_stale")
    stale_risk_update_seconds: float = _default("stale_risk_update_seconds")
    conservative_risk_factor: float = _default("conservative_risk_factor")

    def __post_init__(self) -> None:
        for field in fields(self):
            value = PARAMETER_SPECS[field.name].validate(getattr(self, field.name))
            object.__setattr__(self, field.name, value)
        broken = [
            (message, names) for check, message, names in _CROSS_FIELD_CHECKS if not check(self)
        ]
        if broken:
            involved = tuple(dict.fromkeys(name for _, names in broken for name in names))
            raise CrossFieldError("; ".join(message for message, _ in broken), involved)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, object], *, ignore_unknown: bool = False
    ) -> StrategyParameters:
        """Build from a mapping of keys to values (text is converted).

        Parameters
        ----------
        values
            Parameter names to values; missing names take their defaults.
        ignore_unknown
            Skip names that are not strategy parameters instead of raising.
        """
        unknown = [key for key in values if key not in PARAMETER_SPECS]
        if unknown and not ignore_unknown:
            raise ParameterError(f"unknown strategy parameter(s): {', '.join(sorted(unknown))}")
        known: dict[str, Any] = {
            key: value for key, value in values.items() if key in PARAMETER_SPECS
        }
        return cls(**known)

    def replace(self, **changes: object) -> StrategyParameters:
        """Return a copy with ``changes`` applied, validated like the constructor."""
        unknown = [key for key in changes if key not in PARAMETER_SPECS]
        if unknown:
            raise ParameterError(f"unknown strategy parameter(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, ParameterValue]:
        """Return every parameter as a plain dict (JSON-serializable)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


_CROSS_FIELD_CHECKS: tuple[
    tuple[Callable[[StrategyParameters], bool], str, tuple[str, ...]], ...
] = (
    (
        lambda p: p.drawdown_threshold < p.drawdown_halt_limit,
        "drawdown_threshold must be below drawdown_halt_limit",
        ("drawdown_threshold", "drawdown_halt_limit"),
    ),
    (
        lambda p: p.volatility_ratio_threshold <= p.volatility_spike_ratio,
        "volatility_ratio_threshold must not exceed volatility_spike_ratio",
        ("volatility_ratio_threshold", "volatility_spike_ratio"),
    ),
    (
        lambda p: p.volatility_clear_ratio <= p.volatility_spike_ratio,
        "volatility_clear_ratio must not exceed volatility_spike_ratio",
        ("volatility_clear_ratio", "volatility_spike_ratio"),
    ),
    (
        lambda p: p.skill_min_observations <= p.skill_window,
        "skill_min_observations must not exceed skill_window",
        ("skill_min_observations", "skill_window"),
    ),
    (
        lambda p: p.volatility_window < p.volatility_long_run_window,
        "volatility_window must be shorter than volatility_long_run_window",
        ("volatility_window", "volatility_long_run_window"),
    ),
)
