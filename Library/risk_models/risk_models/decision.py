"""``RiskDecision``: the risk engine's output for one moment."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from risk_models.states import RiskState


@dataclass(frozen=True)
class RiskDecision:
    """How much risk the strategy may take now, and why.

    Parameters
    ----------
    risk_factor
        Multiplier in [0, 1] for target exposures; 0 whenever ``state`` is halted.
    state
        ``active``, ``reducing`` or ``halted``.
    reasons
        Reason codes of the rules and breakers that applied.
    inputs
        The numbers that led to the decision.
    ts
        When the decision was made (timezone-aware).
    """

    risk_factor: float
    state: RiskState
    reasons: tuple[str, ...]
    inputs: Mapping[str, float] = field(default_factory=dict)
    ts: datetime | None = None

    def __post_init__(self) -> None:
        if not (isinstance(self.risk_factor, int | float) and 0.0 <= self.risk_factor <= 1.0):
            raise ValueError(f"risk_factor must be in [0, 1]; got {self.risk_factor!r}")
        object.__setattr__(self, "state", RiskState(self.state))
        if self.state is RiskState.HALTED and self.risk_factor != 0.0:
            raise ValueError("a halted decision must have risk_factor 0")
        for name, value in self.inputs.items():
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"input {name} must be a finite number; got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "risk_factor": self.risk_factor,
            "state": self.state.value,
            "reasons": list(self.reasons),
            "inputs": dict(self.inputs),
            "ts": None if self.ts is None else self.ts.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RiskDecision:
        """Rebuild a decision from :meth:`to_dict` output."""
        ts = data.get("ts")
        return cls(
            risk_factor=float(data["risk_factor"]),
            state=RiskState(data["state"]),
            reasons=tuple(str(reason) for reason in data.get("reasons", ())),
            inputs={str(k): float(v) for k, v in dict(data.get("inputs", {})).items()},
            ts=None if ts is None else datetime.fromisoformat(ts),
        )
