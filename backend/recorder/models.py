"""The message-id registry: which bus message ids are stored, with a digest of their content."""

from __future__ import annotations

from django.db import models


class MessageReceipt(models.Model):
    """One stored bus message: its channel, id, time and content digest.

    The time-series tables can only be unique on ``(message_id, timestamp)``: a TimescaleDB
    hypertable requires every unique index to hold its time column. This plain table is
    unique on ``(channel, message_id)`` alone, so an id is stored once whatever its time,
    and the digest tells an identical resend (a duplicate) from a different message
    under the same id (a conflict). An empty digest (rows stored before the registry
    existed) counts every resend as a duplicate.
    """

    channel = models.CharField(max_length=40)
    message_id = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    digest = models.CharField(max_length=64, blank=True, default="")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("channel", "message_id"), name="message_receipt_unique")
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.message_id}"
