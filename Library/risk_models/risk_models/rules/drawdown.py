"""Portfolio drawdown lowers the risk factor (brief: above 5 % -> x 0.5)."""

from __future__ import annotations

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules.base import RiskRule, RuleOutcome


class DrawdownRule(RiskRule):
    """Apply ``drawdown_multiplier`` when drawdown exceeds ``drawdown_threshold``."""

    reason = "drawdown"

    def evaluate(self, inputs: RiskInputs, parameters: StrategyParameters) -> RuleOutcome:
        """Return the drawdown multiplier for ``inputs``."""
        if inputs.drawdown is None:
            return RuleOutcome()
        measured = {
            "drawdown": inputs.drawdown,
            "drawdown_threshold": parameters.drawdown_threshold,
        }
        if inputs.drawdown > parameters.drawdown_threshold:
            return RuleOutcome(parameters.drawdown_multiplier, self.reason, measured)
        return RuleOutcome(1.0, None, measured)
