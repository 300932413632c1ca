"""Admin registrations for every risk model."""

from __future__ import annotations

from django.contrib import admin

from .models import BreakerState, Rearm, RiskDecision


@admin.register(RiskDecision)
class RiskDecisionAdmin(admin.ModelAdmin):
    list_display = ("id", "timestamp", "risk_factor", "state")
    list_filter = ("state",)
    search_fields = ("message_id",)


@admin.register(BreakerState)
class BreakerStateAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "reason", "changed_at")
    list_filter = ("state",)
    search_fields = ("name",)


@admin.register(Rearm)
class RearmAdmin(admin.ModelAdmin):
    list_display = ("id", "breaker", "requested_by", "requested_at", "published")
    list_filter = ("breaker",)
    search_fields = ("reason",)
