"""Admin registrations for every market model."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import Bar, Feed, FeedRun, RefusedBar
from .schedule import feed_schedule_remove, feed_schedule_sync


@admin.register(Bar)
class BarAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "security_type",
        "market",
        "asset",
        "interval",
        "timestamp",
        "open",
        "high",
        "low",
        "close",
        "volume",
    )
    list_filter = ("interval", "security_type", "market")
    search_fields = ("asset",)


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    """Feeds: settings are editable; the beat entry follows every save; health is read-only."""

    list_display = (
        "name",
        "source",
        "exchange",
        "resolution",
        "enabled",
        "healthy",
        "consecutive_failures",
        "last_run_at",
        "last_success_at",
    )
    list_filter = ("source", "resolution", "enabled", "healthy")
    search_fields = ("name",)
    readonly_fields = (
        "last_run_at",
        "last_success_at",
        "consecutive_failures",
        "healthy",
        "last_error",
        "created_at",
        "updated_at",
    )

    def save_model(self, request: Any, obj: Feed, form: Any, change: bool) -> None:
        if change and "name" in form.changed_data:
            feed_schedule_remove(name=form.initial["name"])
        super().save_model(request, obj, form, change)
        feed_schedule_sync(
            name=obj.name, source=obj.source, resolution=obj.resolution, enabled=obj.enabled
        )

    def delete_model(self, request: Any, obj: Feed) -> None:
        feed_schedule_remove(name=obj.name)
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for feed in queryset:
            feed_schedule_remove(name=feed.name)
        super().delete_queryset(request, queryset)


@admin.register(FeedRun)
class FeedRunAdmin(admin.ModelAdmin):
    """Runs are records: read-only."""

    list_display = ("feed", "trigger", "status", "started_at", "stored", "new_bars", "error")
    list_filter = ("status", "trigger", "feed")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RefusedBar)
class RefusedBarAdmin(admin.ModelAdmin):
    """Refused bars are records: read-only."""

    list_display = ("symbol", "resolution", "bar_time", "reason", "feed", "seen_at", "times_seen")
    list_filter = ("reason", "resolution", "feed")
    search_fields = ("symbol",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
