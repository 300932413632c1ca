"""Writes to the audit trail: appending is serialised so the chain never forks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from .chain import chain_hash, event_body, normalise_payload
from .models import GENESIS_HASH, AuditEvent, AuditHead

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
        event = AuditEvent.objects.create(
            created_at=created_at,
            actor=actor,
            action=action,
            target=target,
            payload=normalised,
            previous_hash=previous_hash,
            hash=chain_hash(previous_hash=previous_hash, body=body),
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
