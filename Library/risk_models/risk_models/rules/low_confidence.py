"""Low forecast confidence lowers the risk factor (brief: below 0.6 -> x 0.8)."""

from __future__ import annotations

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules.base import RiskRule, RuleOutcome


class LowConfidenceRule(RiskRule):
    """Apply ``low_confidence_multiplier`` when mean confidence is below ``low_confidence_threshold``."""

    reason = "low_confidence"

    def evaluate(self, inputs: RiskInputs, parameters: StrategyParameters) -> RuleOutcome:
        """Return the low-confidence multiplier for ``inputs``."""
        if inputs.confidence is None:
            return RuleOutcome()
        measured = {
            "confidence": inputs.confidence,
            "low_confidence_threshold": parameters.low_confidence_threshold,
        }
        if inputs.confidence < parameters.low_confidence_threshold:
            return RuleOutcome(parameters.low_confidence_multiplier, self.reason, measured)
        return RuleOutcome(1.0, None, measured)
