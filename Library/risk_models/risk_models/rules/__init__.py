"""Risk rules: each lowers the risk factor by a configurable multiplier when its condition holds."""

from risk_models.rules.base import RiskRule, RuleOutcome
from risk_models.rules.drawdown import DrawdownRule
from risk_models.rules.forecast_skill import ForecastSkillRule
from risk_models.rules.low_confidence import LowConfidenceRule
from risk_models.rules.volatility import HighVolatilityRule

DEFAULT_RULES: tuple[RiskRule, ...] = (
    LowConfidenceRule(),
    DrawdownRule(),
    HighVolatilityRule(),
    ForecastSkillRule(),
)
"""The brief's rules plus forecast skill, in reporting order."""

__all__ = [
    "DEFAULT_RULES",
    "DrawdownRule",
    "ForecastSkillRule",
    "HighVolatilityRule",
    "LowConfidenceRule",
    "RiskRule",
    "RuleOutcome",
]
