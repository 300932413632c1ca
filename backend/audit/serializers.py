"""API shape of audit events."""

from __future__ import annotations

from rest_framework import serializers

from .models import AuditEvent


class AuditEventOutputSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "created_at",
            "actor",
            "action",
            "target",
            "payload",
            "previous_hash",
            "hash",
        )
