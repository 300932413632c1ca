"""Celery task: export a signed checkpoint of the audit chain head (scheduled by beat)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .services import audit_checkpoint_create


@shared_task(name="audit.checkpoint", ignore_result=True)
def audit_checkpoint() -> Any:
    """Sign and export the chain head (see ``audit_checkpoint_create``)."""
    return audit_checkpoint_create().event_id
