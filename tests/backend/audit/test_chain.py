"""The audit chain: rows linked by their hashes, ``verify_audit`` finds changed and deleted rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import audit_event_append

pytestmark = pytest.mark.django_db


def _append_three() -> list[AuditEvent]:
    return [
        audit_event_append(
            actor="alice",
            action="test_event",
            target=f"t:{index}",
            payload={"n": index, "x": 0.1},
            now=datetime(2025, 1, 1, index, tzinfo=UTC),
        )
        for index in range(3)
    ]


def test_audit_chain_links_rows_and_verifies(client_for: Any) -> None:
    events = _append_three()
    assert [event.previous_hash for event in events[1:]] == [event.hash for event in events[:-1]]
    assert audit_chain_verify() == []
    call_command("verify_audit")
    listed = client_for("viewer").get("/api/audit/", {"action": "test_event"}).json()["results"]
    assert [item["hash"] for item in listed] == [event.hash for event in events]


def test_verify_audit_detects_a_changed_row() -> None:
    events = _append_three()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET payload = %s WHERE id = %s",
            ['{"n": 99, "x": 0.1}', events[1].pk],
        )
    problems = audit_chain_verify()
    assert [(problem.event_id, "changed" in problem.problem) for problem in problems] == [
        (events[1].pk, True)
    ]
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")


def test_verify_audit_detects_a_deleted_row() -> None:
    events = _append_three()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    problems = audit_chain_verify()
    assert [(problem.event_id, "deleted" in problem.problem) for problem in problems] == [
        (events[2].pk, True)
    ]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_role_changes_are_audited(make_user: Any) -> None:
    user = make_user("operator")
    actions = list(
        AuditEvent.objects.filter(target=f"user:{user.username}").values_list("action", flat=True)
    )
    assert actions == ["user_created", "roles_add"]
    assert AuditEvent.objects.get(action="roles_add", target=f"user:{user.username}").payload == {
        "groups": ["operator"]
    }
