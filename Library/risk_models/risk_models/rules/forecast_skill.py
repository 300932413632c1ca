"""Decaying forecast skill lowers the risk factor (reason ``forecast_skill``)."""

from __future__ import annotations

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules.base import RiskRule, RuleOutcome


class ForecastSkillRule(RiskRule):
    """Apply ``skill_multiplier`` when the hit rate or IC of resolved forecasts is too low.

    Judged only once ``skill_min_observations`` forecasts have resolved.
    """

    reason = "forecast_skill"

    def evaluate(self, inputs: RiskInputs, parameters: StrategyParameters) -> RuleOutcome:
        """Return the forecast-skill multiplier for ``inputs``."""
        if inputs.skill_observations < parameters.skill_min_observations:
            return RuleOutcome()
        measured: dict[str, float] = {"skill_observations": float(inputs.skill_observations)}
        decayed = False
        if inputs.skill_hit_rate is not None:
            measured["skill_hit_rate"] = inputs.skill_hit_rate
            decayed |= inputs.skill_hit_rate < parameters.skill_min_hit_rate
        if inputs.skill_information_coefficient is not None:
            measured["skill_information_coefficient"] = inputs.skill_information_coefficient
            decayed |= (
                inputs.skill_information_coefficient < parameters.skill_min_information_coefficient
            )
        if decayed:
            return RuleOutcome(parameters.skill_multiplier, self.reason, measured)
        return RuleOutcome(1.0, None, measured)
