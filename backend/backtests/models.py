"""Backtest runs imported from LEAN result files: statistics, equity curve, orders."""

from __future__ import annotations

from django.db import models


class BacktestRun(models.Model):
    """One imported LEAN backtest result."""

    name = models.CharField(max_length=200)
    content_sha256 = models.CharField(max_length=64, unique=True)
    source_format = models.CharField(max_length=20, help_text="camelCase or PascalCase")
    imported_at = models.DateTimeField()
    imported_by = models.CharField(max_length=150)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    statistics = models.JSONField(default=dict, blank=True)
    runtime_statistics = models.JSONField(default=dict, blank=True)
    total_performance = models.JSONField(default=dict, blank=True)
    algorithm_configuration = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-imported_at", "-id")

    def __str__(self) -> str:
        return self.name


class BacktestEquityPoint(models.Model):
    """One point of a run's ``Strategy Equity`` curve."""

    run = models.ForeignKey(BacktestRun, on_delete=models.CASCADE, related_name="equity_points")
    timestamp = models.DateTimeField()
    equity = models.FloatField()

    class Meta:
        ordering = ("timestamp", "id")
        indexes = [models.Index(fields=("run", "timestamp"), name="backtest_equity_run_time")]

    def __str__(self) -> str:
        return f"{self.equity} @ {self.timestamp:%Y-%m-%d %H:%M}"


class BacktestOrder(models.Model):
    """One order of an imported run."""

    run = models.ForeignKey(BacktestRun, on_delete=models.CASCADE, related_name="orders")
    order_id = models.BigIntegerField()
    symbol = models.CharField(max_length=40)
    time = models.DateTimeField(null=True, blank=True)
    quantity = models.FloatField()
    price = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    order_type = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=30, blank=True, default="")
    direction = models.CharField(max_length=10, blank=True, default="")
    tag = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ("order_id",)
        constraints = [
            models.UniqueConstraint(fields=("run", "order_id"), name="backtest_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.symbol} {self.quantity} @ {self.price}"
