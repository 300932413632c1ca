"""Risk endpoints: current verdict, history, re-arm; breaker state after a re-arm."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.audit.models import AuditEvent
from backend.common.bus import bus_get
from backend.risk.models import BreakerState, Rearm, RiskDecision
from backend.risk.services import REARM_CONFIG_KEY, risk_messages_store
from signal_bus.channels import STRATEGY_CONFIG
from signal_bus.messages import StrategyConfigUpdate
from tests.backend.conftest import field_errors

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, 12, tzinfo=UTC)


def risk_document(index: int, **overrides: Any) -> dict[str, Any]:
    document = {
        "type": "risk_update",
        "id": f"risk-{index}",
        "risk_factor": 0.8,
        "reasons": ["low_confidence", "high_volatility"],
        "state": "active",
        "inputs": {"confidence": 0.55},
        "ts_event": (START + timedelta(minutes=index)).isoformat(),
    }
    document.update(overrides)
    return document


def store_risk(*documents: dict[str, Any]) -> None:
    from signal_bus.codec import decode_document

    risk_messages_store(
        messages=[decode_document(document, "risk_updates") for document in documents]
    )  # type: ignore[misc]


def test_risk_current_and_history(client_for: Any, anonymous: Any) -> None:
    assert anonymous.get("/api/risk/").status_code == 401
    viewer = client_for("viewer")
    assert viewer.get("/api/risk/").json()["state"] == "unknown"
    store_risk(
        risk_document(0),
        risk_document(1, risk_factor=0.0, state="halted", reasons=["drawdown_limit"]),
    )
    store_risk(
        risk_document(1, risk_factor=0.0, state="halted", reasons=["drawdown_limit"])
    )  # replay
    assert RiskDecision.objects.count() == 2
    current = viewer.get("/api/risk/").json()
    assert (current["risk_factor"], current["state"], current["reasons"]) == (
        0.0,
        "halted",
        ["drawdown_limit"],
    )
    assert current["breakers"][0]["name"] == "drawdown_limit"
    assert current["breakers"][0]["state"] == "tripped"
    history = viewer.get("/api/risk/history/", {"state": "active"}).json()
    assert [item["message_id"] for item in history["results"]] == ["risk-0"]
    assert history["count"] == 1


def test_rearm_needs_operator_and_a_reason(client_for: Any) -> None:
    store_risk(risk_document(0, risk_factor=0.0, state="halted", reasons=["drawdown_limit"]))
    assert (
        client_for("viewer")
        .post("/api/risk/rearm/", {"breaker": "drawdown_limit", "reason": "ok"}, format="json")
        .status_code
        == 403
    )
    operator = client_for("operator")
    assert field_errors(
        operator.post("/api/risk/rearm/", {"breaker": "drawdown_limit"}, format="json")
    ) == {"reason": "required"}
    assert field_errors(
        operator.post("/api/risk/rearm/", {"breaker": "nonsense", "reason": "x"}, format="json")
    ) == {"breaker": "invalid_choice"}
    assert Rearm.objects.count() == 0


def test_rearm_is_recorded_audited_and_published(
    client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    store_risk(risk_document(0, risk_factor=0.0, state="halted", reasons=["drawdown_limit"]))
    operator = client_for("operator")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            "/api/risk/rearm/",
            {"breaker": "drawdown_limit", "reason": "drawdown reviewed"},
            format="json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requested_by"] == operator.user.username
    assert BreakerState.objects.get(name="drawdown_limit").state == "armed"
    assert Rearm.objects.get().published is True
    event = AuditEvent.objects.get(action="breaker_rearmed")
    assert (event.actor, event.target) == (operator.user.username, "breaker:drawdown_limit")
    published = bus_get().last(STRATEGY_CONFIG, REARM_CONFIG_KEY)
    assert isinstance(published, StrategyConfigUpdate)
    assert published.value["breaker"] == "drawdown_limit"
    assert published.value["reason"] == "drawdown reviewed"


def test_breaker_state_follows_the_engine_and_ignores_decisions_older_than_a_rearm(
    make_user: Any,
) -> None:
    from backend.risk.services import risk_rearm
    from signal_bus.messages import RiskUpdate

    def update(minute: int, *reasons: str) -> RiskUpdate:
        return RiskUpdate.create(
            risk_factor=0.0 if reasons else 1.0,
            state="halted" if reasons else "active",
            reasons=reasons,
            now=START + timedelta(minutes=minute),
        )

    def state() -> str:
        return BreakerState.objects.get(name="drawdown_limit").state

    risk_messages_store(messages=[update(1, "drawdown_limit")])
    assert state() == BreakerState.TRIPPED
    risk_rearm(
        breaker="drawdown_limit",
        reason="losses reviewed",
        user=make_user("operator"),
        now=START + timedelta(minutes=10),
    )
    assert state() == BreakerState.ARMED
    # A decision made before the re-arm, arriving late, does not trip it again.
    risk_messages_store(messages=[update(5, "drawdown_limit")])
    assert state() == BreakerState.ARMED
    # The engine had not consumed the re-arm yet: it still holds the breaker, so do we ...
    risk_messages_store(messages=[update(11, "drawdown_limit")])
    assert state() == BreakerState.TRIPPED
    # ... until its next decision no longer names it.
    risk_messages_store(messages=[update(12)])
    assert state() == BreakerState.ARMED
    assert BreakerState.objects.get(name="drawdown_limit").reason.startswith("cleared by")
