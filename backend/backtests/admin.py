"""Admin registrations for every backtests model."""

from __future__ import annotations

from django.contrib import admin

from .models import BacktestEquityPoint, BacktestOrder, BacktestRun


@admin.register(BacktestRun)
class BacktestRunAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "source_format", "imported_at", "imported_by")
    list_filter = ("source_format",)
    search_fields = ("name",)


@admin.register(BacktestEquityPoint)
class BacktestEquityPointAdmin(admin.ModelAdmin):
    list_display = ("id", "run", "timestamp", "equity")
    list_filter = ("run",)
    search_fields = ()


@admin.register(BacktestOrder)
class BacktestOrderAdmin(admin.ModelAdmin):
    list_display = ("id", "run", "order_id", "symbol", "quantity", "price", "status")
    list_filter = ("run",)
    search_fields = ("symbol",)
