"""Each risk rule in isolation."""

from __future__ import annotations

import pytest

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules import DrawdownRule, ForecastSkillRule, HighVolatilityRule, LowConfidenceRule

PARAMETERS = StrategyParameters()
BRIEF = PARAMETERS.replace(low_confidence_threshold=0.6)  # the brief's example threshold


@pytest.mark.parametrize(
    ("confidence", "multiplier"), [(0.55, 0.8), (0.59, 0.8), (0.6, 1.0), (0.9, 1.0)]
)
def test_low_confidence(confidence: float, multiplier: float) -> None:
    outcome = LowConfidenceRule().evaluate(RiskInputs(confidence=confidence), BRIEF)
    assert outcome.multiplier == multiplier
    assert (outcome.reason == "low_confidence") is (multiplier < 1.0)
    assert outcome.inputs["confidence"] == confidence


@pytest.mark.parametrize(
    ("drawdown", "multiplier"), [(0.0, 1.0), (0.05, 1.0), (0.051, 0.5), (0.12, 0.5)]
)
def test_drawdown(drawdown: float, multiplier: float) -> None:
    outcome = DrawdownRule().evaluate(RiskInputs(drawdown=drawdown), PARAMETERS)
    assert outcome.multiplier == multiplier
    assert (outcome.reason == "drawdown") is (multiplier < 1.0)


@pytest.mark.parametrize(("ratio", "multiplier"), [(1.0, 1.0), (2.0, 1.0), (2.01, 0.6), (5.0, 0.6)])
def test_high_volatility(ratio: float, multiplier: float) -> None:
    outcome = HighVolatilityRule().evaluate(RiskInputs(volatility_ratio=ratio), PARAMETERS)
    assert outcome.multiplier == multiplier
    assert (outcome.reason == "high_volatility") is (multiplier < 1.0)


def test_rules_follow_configured_thresholds() -> None:
    strict = PARAMETERS.replace(low_confidence_threshold=0.7, low_confidence_multiplier=0.3)
    outcome = LowConfidenceRule().evaluate(RiskInputs(confidence=0.65), strict)
    assert outcome.multiplier == 0.3


def test_rules_without_their_input_do_not_apply() -> None:
    for rule in (LowConfidenceRule(), DrawdownRule(), HighVolatilityRule(), ForecastSkillRule()):
        outcome = rule.evaluate(RiskInputs(), PARAMETERS)
        assert outcome.multiplier == 1.0
        assert outcome.reason is None


@pytest.mark.parametrize(
    ("hit_rate", "ic", "observations", "multiplier"),
    [
        (0.4, 0.1, 30, 0.7),
        (0.6, -0.2, 30, 0.7),
        (0.6, 0.2, 30, 1.0),
        (0.3, -0.5, 10, 1.0),  # too few resolved forecasts to judge
    ],
)
def test_forecast_skill(hit_rate: float, ic: float, observations: int, multiplier: float) -> None:
    inputs = RiskInputs(
        skill_hit_rate=hit_rate, skill_information_coefficient=ic, skill_observations=observations
    )
    outcome = ForecastSkillRule().evaluate(inputs, PARAMETERS)
    assert outcome.multiplier == multiplier
    assert (outcome.reason == "forecast_skill") is (multiplier < 1.0)


def test_inputs_reject_out_of_range() -> None:
    with pytest.raises(ValueError, match="confidence"):
        RiskInputs(confidence=1.5)
    with pytest.raises(ValueError, match="drawdown"):
        RiskInputs(drawdown=float("nan"))
