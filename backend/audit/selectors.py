"""Reads of the audit trail, including verification of the chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .chain import chain_hash, event_body
from .models import GENESIS_HASH, AuditEvent, AuditHead


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain: the row where it shows and what is wrong."""

    event_id: int
    problem: str


def audit_event_list() -> QuerySet[AuditEvent]:
    """Every audit event, oldest first."""
    return AuditEvent.objects.order_by("id")


def audit_chain_verify() -> list[AuditProblem]:
    """Recompute the chain; report changed rows, missing predecessors and a moved head.

    The head (the newest hash, stored apart from the chain) catches what the chain alone
    cannot: deleting the newest rows.
    """
    problems: list[AuditProblem] = []
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
        if chain_hash(previous_hash=event.previous_hash, body=body) != event.hash:
            problems.append(
                AuditProblem(
                    event_id=event.pk, problem="content does not match its hash (row changed)"
                )
            )
        expected_previous = event.hash
        newest = event
    problems.extend(_head_problems(newest=newest))
    return problems


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
