"""Reads of the audit trail, including verification of the chain."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from .chain import LEGACY_KEY_ID, checkpoint_signature_valid, event_body, event_hash
from .models import GENESIS_HASH, AuditCheckpoint, AuditEvent, AuditHead


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain: the row where it shows and what is wrong."""

    event_id: int
    problem: str


def audit_event_list() -> QuerySet[AuditEvent]:
    """Every audit event, oldest first."""
    return AuditEvent.objects.order_by("id")


def audit_chain_verify(
    *, checkpoints: Iterable[Mapping[str, Any]] = (), keys: Mapping[str, str] | None = None
) -> list[AuditProblem]:
    """Recompute the chain; report changed rows, missing predecessors and a moved head.

    Keyed rows are checked with their key id's HMAC key (``AUDIT_CHAIN_KEYS``), so a row
    rewritten with recomputed public hashes is reported. The head (the newest hash, stored
    apart from the chain) catches deleting the newest rows; signed checkpoints (those in the
    database and ``checkpoints``, e.g. read from the exported file) catch truncation or
    rewriting of everything up to a checkpoint, and legacy rows after keying.
    """
    keys = settings.AUDIT_CHAIN_KEYS if keys is None else keys
    anchors, problems = _checkpoints_trusted(checkpoints=checkpoints, keys=keys)
    legacy_until = min((anchor["legacy_until"] for anchor in anchors), default=None)
    anchored = {int(anchor["event_id"]): anchor for anchor in anchors}
    seen_keyed = False
    expected_previous = GENESIS_HASH
    newest: AuditEvent | None = None
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.previous_hash != expected_previous:
            problems.append(
                AuditProblem(
                    event_id=event.pk,
                    problem="previous_hash does not match the row before it "
                    "(a row was deleted, inserted or reordered)",
                )
            )
        body = event_body(
            created_at=event.created_at,
            actor=event.actor,
            action=event.action,
            target=event.target,
            payload=event.payload,
        )
        expected = event_hash(
            key_id=event.key_id, keys=keys, previous_hash=event.previous_hash, body=body
        )
        if expected is None:
            problems.append(
                AuditProblem(
                    event_id=event.pk,
                    problem=f"its key id {event.key_id!r} has no configured key "
                    "(add it to AUDIT_CHAIN_PREVIOUS_KEYS)",
                )
            )
        elif expected != event.hash:
            problems.append(
                AuditProblem(
                    event_id=event.pk, problem="content does not match its hash (row changed)"
                )
            )
        elif event.key_id == LEGACY_KEY_ID and (
            seen_keyed or (legacy_until is not None and event.pk > legacy_until)
        ):
            problems.append(
                AuditProblem(
                    event_id=event.pk,
                    problem="an unkeyed (legacy) row after the chain was keyed "
                    "(rewritten without the key)",
                )
            )
        seen_keyed = seen_keyed or event.key_id != LEGACY_KEY_ID
        anchor = anchored.pop(event.pk, None)
        if anchor is not None and anchor["hash"] != event.hash:
            problems.append(
                AuditProblem(
                    event_id=event.pk,
                    problem="the row differs from a signed checkpoint "
                    "(the chain was rewritten up to here)",
                )
            )
        expected_previous = event.hash
        newest = event
    for event_id in sorted(event_id for event_id in anchored if event_id > 0):
        problems.append(
            AuditProblem(
                event_id=event_id,
                problem=f"a signed checkpoint names event {event_id}, which is gone "
                "(the chain was truncated or rewritten)",
            )
        )
    problems.extend(_head_problems(newest=newest))
    return problems


def _checkpoints_trusted(
    *, checkpoints: Iterable[Mapping[str, Any]], keys: Mapping[str, str]
) -> tuple[list[Mapping[str, Any]], list[AuditProblem]]:
    """The validly signed checkpoints (stored and given), and problems with the others."""
    from .services import checkpoint_document

    documents: list[Mapping[str, Any]] = [
        checkpoint_document(row) for row in AuditCheckpoint.objects.order_by("id")
    ]
    documents.extend(checkpoints)
    trusted: list[Mapping[str, Any]] = []
    problems: list[AuditProblem] = []
    for document in documents:
        if checkpoint_signature_valid(keys=keys, document=document):
            trusted.append(document)
        else:
            problems.append(
                AuditProblem(
                    event_id=int(document.get("event_id", 0) or 0),
                    problem="a checkpoint's signature does not verify "
                    "(forged or changed checkpoint, or its key is not configured)",
                )
            )
    return trusted, problems


def _head_problems(*, newest: AuditEvent | None) -> list[AuditProblem]:
    head = AuditHead.objects.filter(id=AuditHead.SINGLETON_ID).first()
    if head is None:
        if newest is None:
            return []
        return [AuditProblem(event_id=newest.pk, problem="the audit head is missing")]
    if newest is None or newest.pk < head.event_id:
        return [
            AuditProblem(
                event_id=head.event_id,
                problem=f"the newest events are gone: the head is event {head.event_id}, "
                f"the chain ends at {newest.pk if newest else 'nothing'} "
                "(rows at the end were deleted)",
            )
        ]
    if newest.pk != head.event_id or newest.hash != head.hash:
        return [
            AuditProblem(
                event_id=newest.pk,
                problem=f"the chain ends at event {newest.pk}, the head at {head.event_id} "
                "(rows appended without the head, or the head changed)",
            )
        ]
    return []
