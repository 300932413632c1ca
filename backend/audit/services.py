"""Writes to the audit trail: appending is serialised so the chain never forks; checkpoints."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from django.conf import settings
from django.db import connection, transaction

from .chain import (
    LEGACY_KEY_ID,
    checkpoint_signature,
    event_body,
    keyed_chain_hash,
    normalise_payload,
)
from .models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead

logger = structlog.get_logger(__name__)

# Arbitrary constant naming the advisory lock that serialises appends on PostgreSQL.
_AUDIT_LOCK_KEY = 7_042_001


def audit_event_append(
    *, actor: str, action: str, target: str = "", payload: Any = None, now: datetime | None = None
) -> AuditEvent:
    """Append an event to the chain, inside the caller's transaction when there is one."""
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    normalised = normalise_payload(payload if payload is not None else {})
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").only("hash").first()
        previous_hash = last.hash if last is not None else GENESIS_HASH
        body = event_body(
            created_at=created_at, actor=actor, action=action, target=target, payload=normalised
        )
        key_id = settings.AUDIT_CHAIN_KEY_ID
        event = AuditEvent.objects.create(
            created_at=created_at,
            actor=actor,
            action=action,
            target=target,
            payload=normalised,
            previous_hash=previous_hash,
            key_id=key_id,
            hash=keyed_chain_hash(
                key=settings.AUDIT_CHAIN_KEYS[key_id],
                key_id=key_id,
                previous_hash=previous_hash,
                body=body,
            ),
        )
        audit_head_advance(event=event)
        return event


def audit_head_advance(*, event: AuditEvent) -> AuditHead:
    """Move the head to ``event`` (call inside the append's transaction)."""
    head = AuditHead.objects.select_for_update().filter(id=AuditHead.SINGLETON_ID).first()
    if head is None:
        return AuditHead.objects.create(
            id=AuditHead.SINGLETON_ID,
            event_id=event.pk,
            hash=event.hash,
            updated_at=event.created_at,
        )
    head.event_id = event.pk
    head.hash = event.hash
    head.updated_at = event.created_at
    head.save(update_fields=("event_id", "hash", "updated_at"))
    return head


def checkpoint_document(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """The exported, signed form of a checkpoint."""
    return {
        "created_at": checkpoint.created_at.isoformat(),
        "event_id": checkpoint.event_id,
        "hash": checkpoint.hash,
        "event_count": checkpoint.event_count,
        "legacy_until": checkpoint.legacy_until,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def audit_checkpoint_create(*, now: datetime | None = None) -> AuditCheckpoint:
    """Sign the chain head as it is now; store it, log it and append it to the export file.

    The log line (``audit_checkpoint``) and ``AUDIT_CHECKPOINT_FILE`` carry it out of the
    database, so someone who rewrites the database cannot rewrite it as well; verify with
    ``verify_audit --checkpoints FILE``.
    """
    created_at = (now or datetime.now(UTC)).astimezone(UTC)
    key_id = settings.AUDIT_CHAIN_KEY_ID
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_AUDIT_LOCK_KEY])
        newest = AuditEvent.objects.order_by("-id").only("id", "hash").first()
        legacy = AuditEvent.objects.filter(key_id=LEGACY_KEY_ID).order_by("-id").only("id").first()
        previous = AuditCheckpoint.objects.order_by("-id").first()
        legacy_until = legacy.pk if legacy is not None else 0
        if previous is not None:
            # Legacy rows can only come before keying: never move the bound forward.
            legacy_until = min(legacy_until, previous.legacy_until)
        checkpoint = AuditCheckpoint(
            created_at=created_at,
            event_id=newest.pk if newest is not None else 0,
            hash=newest.hash if newest is not None else GENESIS_HASH,
            event_count=AuditEvent.objects.count(),
            legacy_until=legacy_until,
            key_id=key_id,
        )
        checkpoint.signature = checkpoint_signature(
            key=settings.AUDIT_CHAIN_KEYS[key_id], document=checkpoint_document(checkpoint)
        )
        checkpoint.save()
    document = checkpoint_document(checkpoint)
    # "hmac", not "signature": the log redaction masks signature-like keys.
    logged = {("hmac" if name == "signature" else name): value for name, value in document.items()}
    logger.info("audit_checkpoint", **{f"checkpoint_{k}": v for k, v in logged.items()})
    if settings.AUDIT_CHECKPOINT_FILE:
        path = Path(settings.AUDIT_CHECKPOINT_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(document, sort_keys=True) + "\n")
    return checkpoint
