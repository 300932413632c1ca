"""Admin registrations for every execution model."""

from __future__ import annotations

from django.contrib import admin

from .models import Fill, Order, PortfolioSnapshot


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "account",
        "order_id",
        "symbol",
        "quantity",
        "status",
        "tag",
        "submitted_at",
    )
    list_filter = ("status", "account")
    search_fields = ("symbol", "tag")


@admin.register(Fill)
class FillAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "timestamp", "fill_price", "fill_quantity", "fee")
    list_filter = ()
    search_fields = ("message_id",)


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "timestamp", "equity", "cash", "drawdown")
    list_filter = ("account",)
    search_fields = ("message_id",)
