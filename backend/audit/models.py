"""The audit trail: each row's hash covers the previous row's hash and the row itself."""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    """One audited fact: who did what to which target, chained to the row before it."""

    created_at = models.DateTimeField(db_index=True)
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True, default="")
    payload = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} by {self.actor}"


class AuditHead(models.Model):
    """The chain's newest hash, kept outside the chained table (one row, ``id`` 1).

    Written in the same transaction as every append, so deleting the newest events (which
    leaves the rest of the chain consistent) no longer goes unnoticed.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    event_id = models.BigIntegerField(help_text="id of the newest audit event")
    hash = models.CharField(max_length=64, help_text="hash of the newest audit event")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"audit head #{self.event_id}"
