"""Admin registrations for every market model."""

from __future__ import annotations

from django.contrib import admin

from .models import Bar


@admin.register(Bar)
class BarAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "asset",
        "interval",
        "timestamp",
        "open",
        "high",
        "low",
        "close",
        "volume",
    )
    list_filter = ("interval",)
    search_fields = ("asset",)
