"""Admin registrations for every forecasts model."""

from __future__ import annotations

from django.contrib import admin

from .models import Forecast, ModelVersion, Signal


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("id", "model", "version", "trained_at", "created_at")
    list_filter = ("model",)
    search_fields = ("model", "version")


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ("id", "asset", "horizon", "prediction", "confidence", "timestamp", "model")
    list_filter = ("horizon", "model")
    search_fields = ("asset", "message_id")


@admin.register(Signal)
class SignalAdmin(admin.ModelAdmin):
    list_display = ("id", "asset", "horizon", "direction", "confidence", "active", "timestamp")
    list_filter = ("horizon", "active")
    search_fields = ("asset",)
