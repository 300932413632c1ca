"""Forecasts as published on ``forecast_updates``, the signals derived from them, model versions."""

from __future__ import annotations

from django.db import models


class ModelVersion(models.Model):
    """A trained forecasting model: its name, version and training record."""

    model = models.CharField(max_length=100)
    version = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("model", "version"), name="model_version_unique")
        ]
        ordering = ("model", "version")

    def __str__(self) -> str:
        return f"{self.model}@{self.version}"


class Forecast(models.Model):
    """One forecast: the brief's ``(asset, horizon, prediction, confidence, timestamp)``, extended.

    ``message_id`` is the bus message id; ``(message_id, timestamp)`` is unique so storing a
    message twice keeps one row, and the time column is part of it so the table can become a
    TimescaleDB hypertable.
    """

    message_id = models.CharField(max_length=64)
    asset = models.CharField(max_length=40)
    horizon = models.CharField(max_length=10)
    prediction = models.FloatField()
    confidence = models.FloatField()
    timestamp = models.DateTimeField()
    ts_init = models.DateTimeField(null=True, blank=True)
    model = models.CharField(max_length=100, blank=True, default="")
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="forecasts"
    )
    interval_low = models.FloatField(null=True, blank=True)
    interval_high = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("message_id", "timestamp"), name="forecast_message_unique"
            )
        ]
        indexes = [
            models.Index(fields=("asset", "timestamp"), name="forecast_asset_time"),
            models.Index(fields=("timestamp",), name="forecast_time"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.asset} {self.horizon} {self.prediction:+.4f} @ {self.timestamp:%Y-%m-%d %H:%M}"
        )


class Signal(models.Model):
    """The trading signal a forecast implies: direction, and whether its confidence clears entry."""

    forecast_message_id = models.CharField(max_length=64)
    asset = models.CharField(max_length=40)
    horizon = models.CharField(max_length=10)
    timestamp = models.DateTimeField()
    direction = models.SmallIntegerField(help_text="+1 long, -1 short, 0 flat")
    confidence = models.FloatField()
    strength = models.FloatField(help_text="direction x confidence")
    active = models.BooleanField(help_text="confidence at or above the entry threshold")
    entry_threshold = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("forecast_message_id", "timestamp"), name="signal_forecast_unique"
            )
        ]
        indexes = [models.Index(fields=("asset", "timestamp"), name="signal_asset_time")]

    def __str__(self) -> str:
        return f"{self.asset} {self.horizon} {self.direction:+d} ({self.confidence:.2f})"
