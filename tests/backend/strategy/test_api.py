"""Strategy endpoints: the configuration, validated changes with history, audit and publication."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.audit.models import AuditEvent
from backend.common.bus import bus_get
from backend.strategy.models import StrategyConfig, StrategyConfigChange
from backend.strategy.parameters import PARAMETER_SPECS
from backend.strategy.selectors import strategy_parameter_value
from backend.strategy.services import strategy_config_messages_store
from signal_bus.channels import STRATEGY_CONFIG
from signal_bus.messages import StrategyConfigUpdate
from tests.backend.conftest import field_errors

pytestmark = pytest.mark.django_db
START = datetime(2025, 4, 5, 12, tzinfo=UTC)


def test_strategy_config_lists_every_schema_key(client_for: Any) -> None:
    entries = client_for("viewer").get("/api/strategy/config/").json()
    by_key = {entry["key"]: entry for entry in entries}
    assert by_key["entry_confidence"]["value"] == by_key["entry_confidence"]["default"]
    assert (by_key["entry_confidence"]["minimum"], by_key["entry_confidence"]["maximum"]) == (
        0.5,
        1.0,
    )
    assert by_key["entry_confidence"]["value_type"] == "float"


def test_put_strategy_config_writes_history_audits_and_publishes(
    client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    operator = client_for("operator")
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.put(
            "/api/strategy/config/",
            {
                "values": {"entry_confidence": 0.62, "max_allocation": "0.3"},
                "reason": "out-of-sample evidence",
            },
            format="json",
        )
    assert response.status_code == 200, response.content
    assert strategy_parameter_value(key="entry_confidence") == 0.62
    assert strategy_parameter_value(key="max_allocation") == 0.3
    change = StrategyConfigChange.objects.get(key="entry_confidence")
    default = PARAMETER_SPECS["entry_confidence"].default
    assert (change.old_value, change.new_value, change.version) == (default, 0.62, 1)
    assert (change.changed_by, change.reason) == (operator.user.username, "out-of-sample evidence")
    assert AuditEvent.objects.filter(action="strategy_config_changed").count() == 2
    published = bus_get().last(STRATEGY_CONFIG, "entry_confidence")
    assert isinstance(published, StrategyConfigUpdate)
    assert (published.value, published.version, published.changed_by) == (
        0.62,
        1,
        operator.user.username,
    )
    with django_capture_on_commit_callbacks(execute=True):
        operator.put(
            "/api/strategy/config/",
            {"values": {"entry_confidence": 0.7}, "reason": "again"},
            format="json",
        )
    history = operator.get("/api/strategy/config/history/").json()["results"]
    assert [(item["key"], item["old_value"], item["new_value"]) for item in history[:1]] == [
        ("entry_confidence", 0.62, 0.7)
    ]
    # The recorder seeing our own published change again stores nothing new.
    assert strategy_config_messages_store(messages=[published]) == 0
    assert StrategyConfigChange.objects.count() == 3


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"values": {"entry_confidence": 1.5}, "reason": "x"}, "values.entry_confidence", "range"),
        (
            {"values": {"entry_confidence": "high"}, "reason": "x"},
            "values.entry_confidence",
            "range",
        ),
        ({"values": {"no_such_key": 1}, "reason": "x"}, "values.no_such_key", "choice"),
        ({"values": {"entry_confidence": 0.6}}, "reason", "required"),
        ({"values": {}, "reason": "x"}, "values", "empty"),
    ],
)
def test_bad_strategy_config_is_400_and_changes_nothing(
    client_for: Any, body: dict[str, Any], field: str, rule: str
) -> None:
    response = client_for("operator").put("/api/strategy/config/", body, format="json")
    assert field_errors(response) == {field: rule}
    assert StrategyConfig.objects.count() == 0
    assert StrategyConfigChange.objects.count() == 0


def test_range_error_names_the_allowed_range(client_for: Any) -> None:
    response = client_for("operator").put(
        "/api/strategy/config/", {"values": {"entry_confidence": 2}, "reason": "x"}, format="json"
    )
    assert "[0.5, 1]" in response.json()["errors"][0]["message"]


def test_viewer_and_service_cannot_change_config(client_for: Any) -> None:
    body = {"values": {"entry_confidence": 0.6}, "reason": "x"}
    assert client_for("viewer").put("/api/strategy/config/", body, format="json").status_code == 403
    assert (
        client_for("service").put("/api/strategy/config/", body, format="json").status_code == 403
    )


def test_history_rows_are_append_only() -> None:
    change = StrategyConfigChange.objects.create(
        key="entry_confidence",
        old_value=0.55,
        new_value=0.6,
        version=1,
        changed_by="a",
        reason="b",
        changed_at=START,
    )
    change.reason = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        change.save()
    with pytest.raises(RuntimeError, match="append-only"):
        change.delete()
