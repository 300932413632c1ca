"""Defect 4: the audit chain is keyed (HMAC), rotatable, and anchored by signed checkpoints."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from backend.audit import chain
from backend.audit.models import AuditEvent, AuditHead
from backend.audit.selectors import audit_chain_verify
from backend.audit.services import audit_event_append
from tests.backend.conftest import _private_bus, bus_namespace  # noqa: F401

pytestmark = pytest.mark.django_db

START = datetime(2025, 3, 1, tzinfo=UTC)


def _append(count: int, first: int = 0) -> list[AuditEvent]:
    return [
        audit_event_append(
            actor="alice",
            action="config_changed",
            target=f"key:{index}",
            payload={"value": index},
            now=START + timedelta(minutes=index),
        )
        for index in range(first, first + count)
    ]


def _rehash_publicly(start_id: int, *, key_id: str | None = None) -> None:
    """What someone holding the database does: recompute every public hash from ``start_id``."""
    previous = AuditEvent.objects.filter(id__lt=start_id).order_by("-id").first()
    previous_hash = previous.hash if previous is not None else "0" * 64
    for event in AuditEvent.objects.filter(id__gte=start_id).order_by("id"):
        body = chain.event_body(
            created_at=event.created_at,
            actor=event.actor,
            action=event.action,
            target=event.target,
            payload=event.payload,
        )
        new_hash = chain.chain_hash(previous_hash=previous_hash, body=body)
        fields: dict[str, Any] = {"previous_hash": previous_hash, "hash": new_hash}
        if key_id is not None:
            fields["key_id"] = key_id
        AuditEvent.objects.filter(pk=event.pk).update(**fields)
        previous_hash = new_hash
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest is not None
    AuditHead.objects.filter(id=AuditHead.SINGLETON_ID).update(event_id=newest.pk, hash=newest.hash)


def _tamper(event: AuditEvent) -> None:
    AuditEvent.objects.filter(pk=event.pk).update(payload={"value": 999})


def test_rewritten_row_with_recomputed_public_hashes_is_reported() -> None:
    events = _append(5)
    assert audit_chain_verify() == []
    _tamper(events[2])
    _rehash_publicly(events[2].pk)
    problems = audit_chain_verify()
    assert events[2].pk in {problem.event_id for problem in problems}, problems


def test_rewrite_disguised_as_legacy_rows_is_reported() -> None:
    events = _append(5)
    _tamper(events[2])
    _rehash_publicly(events[2].pk, key_id=chain.LEGACY_KEY_ID)
    problems = audit_chain_verify()
    assert events[2].pk in {problem.event_id for problem in problems}, problems
    assert any("legacy" in problem.problem for problem in problems)


def test_verify_audit_command_fails_on_a_forged_chain() -> None:
    events = _append(3)
    _tamper(events[1])
    _rehash_publicly(events[1].pk)
    with pytest.raises(CommandError):
        call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())


def test_events_carry_the_key_id_and_the_key_rotates(settings: Any) -> None:
    first = _append(2)
    assert {event.key_id for event in first} == {settings.AUDIT_CHAIN_KEY_ID}
    old_id = settings.AUDIT_CHAIN_KEY_ID
    old_key = settings.AUDIT_CHAIN_KEYS[old_id]
    settings.AUDIT_CHAIN_KEY_ID = "k-rotated"
    settings.AUDIT_CHAIN_KEYS = {old_id: old_key, "k-rotated": "another-key-" + "z1y2x3" * 10}
    second = _append(2, first=2)
    assert {event.key_id for event in second} == {"k-rotated"}
    assert audit_chain_verify() == []
    # Without the retired key, its rows cannot be verified (and say so).
    settings.AUDIT_CHAIN_KEYS = {"k-rotated": settings.AUDIT_CHAIN_KEYS["k-rotated"]}
    problems = audit_chain_verify()
    assert {problem.event_id for problem in problems} == {event.pk for event in first}
    assert all("key id" in problem.problem for problem in problems)


def test_rows_written_before_keying_still_verify() -> None:
    # Rows as the unkeyed chain wrote them: key id "legacy", public sha256.
    events = _append(3)
    _rehash_publicly(events[0].pk, key_id=chain.LEGACY_KEY_ID)
    assert audit_chain_verify() == []
    _append(2, first=3)  # keyed rows follow
    assert audit_chain_verify() == []


def test_checkpoint_detects_truncation_even_with_the_head_rewritten(
    tmp_path: Path, settings: Any
) -> None:
    events = _append(6)
    exported = tmp_path / "checkpoints.jsonl"
    output = io.StringIO()
    call_command("audit_checkpoint", stdout=output)
    exported.write_text(output.getvalue())
    document = json.loads(output.getvalue())
    assert document["event_id"] == events[-1].pk
    assert chain.checkpoint_signature_valid(keys=settings.AUDIT_CHAIN_KEYS, document=document)
    # Someone with the database deletes the last rows, moves the head and the stored checkpoints.
    AuditEvent.objects.filter(id__gte=events[4].pk).delete()
    AuditHead.objects.filter(id=AuditHead.SINGLETON_ID).update(
        event_id=events[3].pk, hash=events[3].hash
    )
    from backend.audit.models import AuditCheckpoint

    AuditCheckpoint.objects.all().delete()
    assert audit_chain_verify() == []  # the database alone no longer shows it ...
    with pytest.raises(CommandError):  # ... the exported checkpoint does
        call_command(
            "verify_audit",
            "--checkpoints",
            str(exported),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )


def test_checkpoint_detects_a_rewrite_before_it() -> None:
    events = _append(4)
    call_command("audit_checkpoint", stdout=io.StringIO())
    _append(1, first=4)
    # Rewriting an early row and rehashing with the public function is caught by the keys;
    # even a rewrite that got the hashes right would differ from the signed head.
    AuditEvent.objects.filter(pk=events[-1].pk).update(hash="f" * 64)
    problems = audit_chain_verify()
    assert any("checkpoint" in problem.problem for problem in problems), problems


def test_forged_checkpoint_is_reported() -> None:
    _append(2)
    output = io.StringIO()
    call_command("audit_checkpoint", stdout=output)
    document = json.loads(output.getvalue())
    document["event_id"] = 1
    problems = audit_chain_verify(checkpoints=[document])
    assert any("signature" in problem.problem for problem in problems)


def test_checkpoint_file_and_beat_schedule(settings: Any, tmp_path: Path) -> None:
    from django_celery_beat.models import PeriodicTask

    from backend.audit.tasks import audit_checkpoint

    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "export" / "audit.jsonl")
    _append(2)
    audit_checkpoint.delay()
    audit_checkpoint.delay()
    lines = (tmp_path / "export" / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 2
    assert PeriodicTask.objects.get(task="audit.checkpoint").enabled


@pytest.mark.parametrize(
    "audit_key",
    ["", "change-me-to-another-long-random-string", "CHANGE-ME-" + "b" * 50, "c" * 64, "same"],
)
def test_production_refuses_a_missing_weak_or_reused_audit_key(
    audit_key: str, tmp_path: Path
) -> None:
    import os
    import secrets
    import subprocess
    import sys

    secret_key = secrets.token_urlsafe(50)
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "DATABASE_", "DJANGO_", "SECRET_KEY", "AUDIT_CHAIN_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY=secret_key,
        AUDIT_CHAIN_KEY=secret_key if audit_key == "same" else audit_key,
        DB_SQLITE_PATH=str(tmp_path / "x.sqlite3"),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "AUDIT_CHAIN_KEY" in result.stderr
