"""The audit head: deleting the newest events (or the head) is detected too."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backend.audit.chain import chain_hash, event_body
from backend.audit.models import AuditEvent, AuditHead
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import audit_event_append

pytestmark = pytest.mark.django_db


def append(count: int) -> list[AuditEvent]:
    return [
        audit_event_append(
            actor="bob", action="head_test", target=f"t:{index}", payload={"n": index},
            now=datetime(2025, 2, 1, index, tzinfo=UTC),
        )
        for index in range(count)
    ]  # fmt: skip


def delete_events(*ids: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = ANY(%s)", [list(ids)])


def test_head_follows_every_append() -> None:
    events = append(3)
    head = AuditHead.objects.get()
    assert (head.event_id, head.hash) == (events[-1].pk, events[-1].hash)
    assert audit_chain_verify() == []


def test_deleting_the_newest_events_is_detected() -> None:
    events = append(4)
    delete_events(events[2].pk, events[3].pk)
    [problem] = audit_chain_verify()
    assert problem.event_id == events[3].pk
    assert "newest events are gone" in problem.problem
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit")


def test_deleting_every_event_is_detected() -> None:
    append(2)
    AuditEvent.objects.all().delete()
    [problem] = audit_chain_verify()
    assert "the chain ends at nothing" in problem.problem


def test_deleting_the_head_is_detected() -> None:
    append(2)
    AuditHead.objects.all().delete()
    assert [problem.problem for problem in audit_chain_verify()] == ["the audit head is missing"]


def test_a_row_appended_past_the_head_is_detected() -> None:
    events = append(2)
    created_at = datetime(2025, 2, 2, tzinfo=UTC)
    body = event_body(
        created_at=created_at, actor="mallory", action="forged", target="", payload={}
    )
    forged = AuditEvent.objects.create(
        created_at=created_at, actor="mallory", action="forged", target="", payload={},
        previous_hash=events[-1].hash, hash=chain_hash(previous_hash=events[-1].hash, body=body),
    )  # fmt: skip
    problems = audit_chain_verify()
    # The forged row also fails the keyed hash (issue 20, defect 4); the head names it too.
    assert {problem.event_id for problem in problems} == {forged.pk}
    assert any("head" in problem.problem for problem in problems)


def test_migration_anchors_an_existing_chain() -> None:
    events = append(3)
    AuditHead.objects.all().delete()
    migration = importlib.import_module("backend.audit.migrations.0002_audit_head")
    migration.head_from_existing_chain(apps, None)
    assert AuditHead.objects.get().event_id == events[-1].pk
    assert audit_chain_verify() == []
