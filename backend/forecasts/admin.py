"""Admin registrations for every forecasts model."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Forecast, ModelTransition, ModelVersion, Signal

TRANSITION_FIELDS = (
    "created_at", "from_status", "to_status", "actor", "reason", "manual", "replaced",
)  # fmt: skip


class ModelTransitionInline(admin.TabularInline):
    """A version's transitions, read-only: they change only through ``lifecycle``."""

    model = ModelTransition
    fk_name = "version"
    fields = TRANSITION_FIELDS
    readonly_fields = TRANSITION_FIELDS
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "id", "model", "version", "status", "asset_group", "horizon", "manual",
        "status_changed_at", "trained_at", "created_at",
    )  # fmt: skip
    list_filter = ("status", "asset_group", "horizon", "model")
    search_fields = ("model", "version")
    # The status moves only through the lifecycle (audited), the API or model_rollback.
    readonly_fields = ("status", "manual", "status_changed_at", "gates")
    inlines = (ModelTransitionInline,)


@admin.register(ModelTransition)
class ModelTransitionAdmin(admin.ModelAdmin):
    list_display = ("id", "version", "from_status", "to_status", "actor", "manual", "created_at")
    list_filter = ("to_status", "manual")
    search_fields = ("version__model", "version__version", "actor", "reason")
    list_select_related = ("version",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = (
        "id", "asset", "horizon", "prediction", "confidence", "timestamp", "model", "tradable",
    )  # fmt: skip
    list_filter = ("horizon", "model", "tradable")
    search_fields = ("asset", "message_id")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("id", "asset", "horizon", "direction", "confidence", "active", "timestamp")
    list_filter = ("horizon", "active")
    search_fields = ("asset",)
