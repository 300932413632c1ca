"""Reads of the risk log and the breakers."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import BreakerState, RiskDecision


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
