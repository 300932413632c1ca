"""The risk rule interface: one rule, one multiplier."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters


@dataclass(frozen=True)
class RuleOutcome:
    """What a rule decided.

    Parameters
    ----------
    multiplier
        Factor in [0, 1] applied to the risk factor (1: the rule does not apply).
    reason
        Reason code when the rule applies (``None`` otherwise).
    inputs
        The numbers the rule compared, by name.
    """

    multiplier: float = 1.0
    reason: str | None = None
    inputs: dict[str, float] = field(default_factory=dict)


class RiskRule(ABC):
    """A rule that lowers the risk factor when its condition holds.

    Rules read thresholds and multipliers from :class:`StrategyParameters`, so they
    change live with the strategy configuration; a rule holds no state.
    """

    reason: str = ""

    @abstractmethod
    def evaluate(self, inputs: RiskInputs, parameters: StrategyParameters) -> RuleOutcome:
        """Return this rule's multiplier, reason and inputs."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
