"""Orders, fills and portfolio snapshots from ``execution_events`` (or LEAN's web notifications)."""

from __future__ import annotations

from django.db import models

from backend.forecasts.models import ModelVersion


class Order(models.Model):
    """The latest known state of a LEAN order.

    Lineage: LEAN's order ``tag`` carries the id of the forecast behind the order; ingestion
    copies it to ``forecast_message_id`` and resolves the forecast's model version.
    """

    account = models.CharField(max_length=60, default="live")
    order_id = models.BigIntegerField()
    symbol = models.CharField(max_length=40)
    quantity = models.FloatField()
    direction = models.CharField(max_length=10, blank=True, default="")
    order_type = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=30)
    tag = models.CharField(max_length=200, blank=True, default="")
    forecast_message_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    filled_quantity = models.FloatField(default=0.0)
    average_fill_price = models.FloatField(null=True, blank=True)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("account", "order_id"), name="order_account_unique")
        ]
        ordering = ("-submitted_at", "-id")

    def __str__(self) -> str:
        return f"order {self.order_id} {self.symbol} {self.quantity} {self.status}"


class Fill(models.Model):
    """One (partial) fill reported by an order event."""

    message_id = models.CharField(max_length=64)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="fills")
    timestamp = models.DateTimeField()
    fill_price = models.FloatField()
    fill_quantity = models.FloatField()
    fee = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("message_id", "timestamp"), name="fill_message_unique")
        ]
        indexes = [models.Index(fields=("timestamp",), name="fill_time")]

    def __str__(self) -> str:
        return f"fill {self.fill_quantity}@{self.fill_price}"


class PortfolioSnapshot(models.Model):
    """The portfolio at one moment: equity, cash, holdings, drawdown."""

    message_id = models.CharField(max_length=64)
    account = models.CharField(max_length=60, default="live")
    timestamp = models.DateTimeField()
    equity = models.FloatField()
    cash = models.FloatField()
    holdings = models.JSONField(default=dict, blank=True)
    drawdown = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("message_id", "timestamp"), name="snapshot_message_unique"
            )
        ]
        indexes = [models.Index(fields=("account", "timestamp"), name="snapshot_account_time")]

    def __str__(self) -> str:
        return f"equity {self.equity} @ {self.timestamp:%Y-%m-%d %H:%M}"
