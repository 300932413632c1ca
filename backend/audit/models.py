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
    key_id = models.CharField(
        max_length=32,
        default="legacy",
        help_text="id of the HMAC key of this row's hash; 'legacy': a public sha256 (before keying)",
    )

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


class AuditCheckpoint(models.Model):
    """A signed statement of the chain head at a moment, also exported outside the database.

    ``legacy_until`` is the newest event allowed to carry the ``legacy`` key id: a legacy
    row after it was written by someone without the key.
    """

    created_at = models.DateTimeField()
    event_id = models.BigIntegerField()
    hash = models.CharField(max_length=64)
    event_count = models.BigIntegerField()
    legacy_until = models.BigIntegerField(default=0)
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return f"checkpoint at event {self.event_id}"
