"""Admin registrations: configuration is edited through the API (validated, audited, published);
the history is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import StrategyConfig, StrategyConfigChange


@admin.register(StrategyConfig)
class StrategyConfigAdmin(admin.ModelAdmin):
    list_display = ("key", "value", "value_type", "minimum", "maximum", "version", "updated_at")
    search_fields = ("key",)
    readonly_fields = ("value", "version", "updated_at", "updated_by")


@admin.register(StrategyConfigChange)
class StrategyConfigChangeAdmin(admin.ModelAdmin):
    list_display = ("changed_at", "key", "old_value", "new_value", "changed_by", "reason")
    list_filter = ("key",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
