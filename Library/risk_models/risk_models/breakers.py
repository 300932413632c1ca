"""Circuit breakers: named conditions that force a state and stay latched until re-armed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from risk_models.states import RiskState

DRAWDOWN_LIMIT = "drawdown_limit"
VOLATILITY_SPIKE = "volatility_spike"
STALE_FORECASTS = "stale_forecasts"
STALE_MARKET_DATA = "stale_market_data"

BREAKER_STATES: Mapping[str, RiskState] = {
    DRAWDOWN_LIMIT: RiskState.HALTED,
    VOLATILITY_SPIKE: RiskState.REDUCING,
    STALE_FORECASTS: RiskState.REDUCING,
    STALE_MARKET_DATA: RiskState.REDUCING,
}
"""Each breaker and the state it forces while tripped."""

ALWAYS_LATCHING = frozenset({DRAWDOWN_LIMIT, VOLATILITY_SPIKE})
"""Breakers that stay tripped until re-armed whatever the parameters say."""


def breaker_latches(breaker: str, *, auto_clear_stale: bool) -> bool:
    """Whether ``breaker`` stays tripped until re-armed.

    The drawdown and volatility breakers always latch; the stale-input breakers latch
    only when ``auto_clear_stale`` is off (otherwise they clear when fresh data arrives).
    """
    return breaker in ALWAYS_LATCHING or not auto_clear_stale


def breakers_named(reasons: Iterable[str]) -> set[str]:
    """The breakers among a risk decision's reasons."""
    return {reason for reason in reasons if reason in BREAKER_STATES}


class BreakerError(ValueError):
    """A re-arm names an unknown breaker, one that is not tripped, or one whose condition persists."""


@dataclass(frozen=True)
class BreakerTrip:
    """A tripped breaker: which, when, and the numbers that tripped it."""

    breaker: str
    tripped_at: datetime
    inputs: Mapping[str, float] = field(default_factory=dict)

    @property
    def state(self) -> RiskState:
        """The state this breaker forces."""
        return BREAKER_STATES[self.breaker]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "breaker": self.breaker,
            "tripped_at": self.tripped_at.isoformat(),
            "inputs": dict(self.inputs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BreakerTrip:
        """Rebuild from :meth:`to_dict` output."""
        breaker = str(data["breaker"])
        if breaker not in BREAKER_STATES:
            raise BreakerError(f"unknown breaker {breaker!r}")
        return cls(
            breaker=breaker,
            tripped_at=datetime.fromisoformat(data["tripped_at"]),
            inputs={str(k): float(v) for k, v in dict(data.get("inputs", {})).items()},
        )


@dataclass(frozen=True)
class RearmRecord:
    """An operator's re-arm of a tripped breaker: the audit record."""

    breaker: str
    reason: str
    by: str
    at: datetime
    trip: BreakerTrip

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "breaker": self.breaker,
            "reason": self.reason,
            "by": self.by,
            "at": self.at.isoformat(),
            "trip": self.trip.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RearmRecord:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            breaker=str(data["breaker"]),
            reason=str(data["reason"]),
            by=str(data["by"]),
            at=datetime.fromisoformat(data["at"]),
            trip=BreakerTrip.from_dict(data["trip"]),
        )
