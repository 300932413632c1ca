"""The risk the LEAN models apply: remote verdict and local estimate, the stricter wins.

Pure: plain values and an explicit ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from risk_models.decision import RiskDecision
from risk_models.parameters import StrategyParameters
from risk_models.states import RiskState
from signal_bus.messages import RiskUpdate

STALE_RISK_UPDATES = "stale_risk_updates"
NO_RISK_UPDATE = "no_risk_update"


@dataclass(frozen=True)
class EffectiveRisk:
    """The factor and state applied to targets now, and why."""

    factor: float
    state: RiskState
    reasons: tuple[str, ...]
    remote_stale: bool


def combine_risk(
    remote: RiskUpdate | None,
    local: RiskDecision,
    *,
    now: datetime,
    parameters: StrategyParameters,
    remote_expected: bool,
) -> EffectiveRisk:
    """Return the smaller factor and the stricter state of the remote and local verdicts.

    Parameters
    ----------
    remote
        The risk engine's latest update, if any.
    local
        The local estimate on the algorithm's own portfolio.
    now
        Current UTC time (timezone-aware).
    parameters
        Supplies ``stale_risk_update_seconds`` and ``conservative_risk_factor``.
    remote_expected
        Whether a risk engine feeds this algorithm. If so, a missing or stale update
        caps the factor at ``conservative_risk_factor``; a stale ``halted`` or
        ``reducing`` state still applies.
    """
    reasons = list(local.reasons)
    factor = local.risk_factor
    state = local.state
    stale = False
    if remote_expected:
        if remote is None:
            stale = True
            reasons.append(NO_RISK_UPDATE)
            factor = min(factor, parameters.conservative_risk_factor)
        else:
            age = (now - remote.ts_event).total_seconds()
            stale = age > parameters.stale_risk_update_seconds
            remote_factor = remote.risk_factor
            if stale:
                reasons.append(STALE_RISK_UPDATES)
                remote_factor = min(remote_factor, parameters.conservative_risk_factor)
            reasons.extend(f"remote:{reason}" for reason in remote.reasons)
            factor = min(factor, remote_factor)
            remote_state = RiskState(remote.state)
            if remote_state.severity > state.severity:
                state = remote_state
    if state is RiskState.HALTED:
        factor = 0.0
    return EffectiveRisk(factor, state, tuple(reasons), stale)
