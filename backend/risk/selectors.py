"""Reads of the risk log and the breakers, and the risk engine's state as the database knows it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db.models import QuerySet

from backend.execution.models import PortfolioSnapshot
from backend.strategy.selectors import strategy_config_current
from risk_models.breakers import BREAKER_STATES, DRAWDOWN_LIMIT, breaker_latches
from risk_models.parameters import PARAMETER_SPECS, ParameterError, validate

from .models import BreakerState, Rearm, RiskDecision

logger = structlog.get_logger(__name__)

# Inputs the engine adds to a decision after its breakers have latched (not part of a trip).
_DECISION_ONLY_INPUTS = frozenset({"state_seconds"})


def risk_decision_list() -> QuerySet[RiskDecision]:
    """Every risk decision, newest first."""
    return RiskDecision.objects.order_by("-timestamp", "-id")


def risk_current() -> dict[str, Any]:
    """The latest decision and every breaker's state (factor 1, active, when nothing is known)."""
    latest = risk_decision_list().first()
    breakers = [
        {"name": row.name, "state": row.state, "reason": row.reason, "changed_at": row.changed_at}
        for row in BreakerState.objects.order_by("name")
    ]
    return {
        "risk_factor": latest.risk_factor if latest else None,
        "state": latest.state if latest else "unknown",
        "reasons": latest.reasons if latest else [],
        "inputs": latest.inputs if latest else {},
        "timestamp": latest.timestamp if latest else None,
        "breakers": breakers,
    }


def risk_engine_state() -> dict[str, Any] | None:
    """The risk engine's saved state rebuilt from the database, or None when it holds nothing.

    The result has the format the engine saves and restores (``{"monitor": ..., "parameters":
    ...}``, see ``RiskMonitor.to_dict``), so an engine whose Redis lost its state can start
    from what the stream recorder stored of its risk updates:

    - latched breakers: the ``tripped`` breaker rows whose breaker latches (``drawdown_limit``
      and ``volatility_spike`` always, the stale-input breakers only when ``auto_clear_stale``
      is off), each with its trip time and the inputs of the decision that first named it;
    - the last decision: the newest risk decision; the controller's state is that decision's
      state, held since the first decision of the run of decisions that ended in it;
    - the drawdown: rebuilt so that it equals the last decision's drawdown at the equity of
      the newest portfolio snapshot recorded at or before that decision (restarted at that
      equity when an operator re-armed ``drawdown_limit`` after the decision, as the engine
      does on a re-arm);
    - the last forecast and market data times, from the ages the last decision measured;
    - the parameters: the strategy parameters set through the backend (keys never set are
      left out, so the engine's own starting values apply to them).

    Re-arm records stay in the database (``Rearm`` and the audit trail); the restored
    engine starts with none.
    """
    latest = risk_decision_list().first()
    tripped = list(
        BreakerState.objects.filter(state=BreakerState.TRIPPED, name__in=list(BREAKER_STATES))
    )
    parameters = _parameters_set()
    if latest is None and not tripped and not parameters:
        return None
    auto_clear_stale = bool(
        parameters.get("auto_clear_stale", PARAMETER_SPECS["auto_clear_stale"].default)
    )
    latched = [
        _trip(row)
        for row in sorted(tripped, key=lambda row: (row.changed_at, row.name))
        if breaker_latches(row.name, auto_clear_stale=auto_clear_stale)
    ]
    controller: dict[str, Any] = {"latched": latched, "rearms": []}
    monitor: dict[str, Any] = {"controller": controller}
    if latest is not None:
        controller["state"] = latest.state
        controller["state_since"] = _state_since(latest).isoformat()
        controller["last_decision"] = {
            "risk_factor": latest.risk_factor,
            "state": latest.state,
            "reasons": [str(reason) for reason in latest.reasons],
            "inputs": _numbers(latest.inputs),
            "ts": latest.timestamp.isoformat(),
        }
        monitor["drawdown"] = _drawdown(latest)
        monitor["last_forecast_at"] = _measured_at(latest, "forecast_age_seconds")
        monitor["last_market_data_at"] = _measured_at(latest, "market_data_age_seconds")
    return {"monitor": monitor, "parameters": parameters}


def _parameters_set() -> dict[str, Any]:
    """The strategy parameters an operator has set (each valid; an invalid one is skipped)."""
    values: dict[str, Any] = {}
    for entry in strategy_config_current():
        if entry["version"] == 0:
            continue
        try:
            values[entry["key"]] = validate(entry["key"], entry["value"])
        except ParameterError as error:
            logger.warning("risk_state_parameter_skipped", key=entry["key"], error=str(error))
    return values


def _numbers(values: Any) -> dict[str, float]:
    if not isinstance(values, dict):
        return {}
    return {str(key): float(value) for key, value in values.items()}


def _trip(row: BreakerState) -> dict[str, Any]:
    """A tripped breaker row as the engine's ``BreakerTrip``: the decision that named it first."""
    named = next(
        (
            decision
            for decision in RiskDecision.objects.filter(timestamp=row.changed_at).order_by("id")
            if row.name in decision.reasons
        ),
        None,
    )
    inputs = {} if named is None else _numbers(named.inputs)
    return {
        "breaker": row.name,
        "tripped_at": row.changed_at.isoformat(),
        "inputs": {key: value for key, value in inputs.items() if key not in _DECISION_ONLY_INPUTS},
    }


def _state_since(latest: RiskDecision) -> datetime:
    """When the run of decisions in ``latest``'s state began."""
    before = (
        RiskDecision.objects.filter(timestamp__lte=latest.timestamp)
        .exclude(state=latest.state)
        .order_by("-timestamp", "-id")
        .first()
    )
    run = RiskDecision.objects.filter(state=latest.state, timestamp__lte=latest.timestamp)
    if before is not None:
        run = run.filter(timestamp__gt=before.timestamp)
    first = run.order_by("timestamp", "id").first()
    return latest.timestamp if first is None else first.timestamp


def _drawdown(latest: RiskDecision) -> dict[str, Any]:
    """A drawdown tracker whose drawdown is the last decision's (empty when unknown)."""
    drawdown = latest.inputs.get("drawdown") if isinstance(latest.inputs, dict) else None
    snapshot = (
        PortfolioSnapshot.objects.filter(timestamp__lte=latest.timestamp)
        .order_by("-timestamp", "-id")
        .first()
    )
    if drawdown is None or snapshot is None or snapshot.equity <= 0.0:
        return {}
    if not 0.0 <= float(drawdown) < 1.0:
        return {}
    equity = float(snapshot.equity)
    rearmed = Rearm.objects.filter(
        breaker=DRAWDOWN_LIMIT, requested_at__gt=latest.timestamp
    ).exists()
    return {
        "high_water_mark": equity if rearmed else equity / (1.0 - float(drawdown)),
        "equity": equity,
        "updated_at": snapshot.timestamp.isoformat(),
    }


def _measured_at(latest: RiskDecision, age_input: str) -> str | None:
    """The time ``latest`` measured an age from (its time minus the age), if it measured one."""
    age = latest.inputs.get(age_input) if isinstance(latest.inputs, dict) else None
    if age is None:
        return None
    return (latest.timestamp - timedelta(seconds=float(age))).isoformat()
