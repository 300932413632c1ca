"""Reads of the audit trail, including verification of the chain."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .chain import chain_hash, event_body
from .models import GENESIS_HASH, AuditEvent


@dataclass(frozen=True)
class AuditProblem:
    """One break in the chain: the row where it shows and what is wrong."""

    event_id: int
    problem: str


def audit_event_list() -> QuerySet[AuditEvent]:
    """Every audit event, oldest first."""
    return AuditEvent.objects.order_by("id")


def audit_chain_verify() -> list[AuditProblem]:
    """Recompute the chain; report rows whose content changed or whose predecessor is gone."""
    problems: list[AuditProblem] = []
    expected_previous = GENESIS_HASH
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
    return problems
