"""Admin: the audit trail is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent, AuditHead


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows rows; adds, changes and deletions happen only through the audit services."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "actor", "action", "target", "key_id")
    list_filter = ("action",)
    search_fields = ("actor", "target")


@admin.register(AuditHead)
class AuditHeadAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_id", "hash", "updated_at")


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "event_id", "event_count", "key_id")
