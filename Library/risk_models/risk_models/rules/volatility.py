"""High market volatility lowers the risk factor (brief: above 2x its average -> x 0.6)."""

from __future__ import annotations

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules.base import RiskRule, RuleOutcome


class HighVolatilityRule(RiskRule):
    """Apply ``volatility_multiplier`` when the volatility ratio exceeds ``volatility_ratio_threshold``."""

    reason = "high_volatility"

    def evaluate(self, inputs: RiskInputs, parameters: StrategyParameters) -> RuleOutcome:
        """Return the volatility multiplier for ``inputs``."""
        if inputs.volatility_ratio is None:
            return RuleOutcome()
        measured = {
            "volatility_ratio": inputs.volatility_ratio,
            "volatility_ratio_threshold": parameters.volatility_ratio_threshold,
        }
        if inputs.volatility_ratio > parameters.volatility_ratio_threshold:
            return RuleOutcome(parameters.volatility_multiplier, self.reason, measured)
        return RuleOutcome(1.0, None, measured)
