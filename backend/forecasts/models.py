"""Forecasts as published on ``forecast_updates``, the signals derived from them, model versions.

A model version has a lifecycle status (``risk_models.promotion.ModelStatus``): only the
``live`` version of an asset group and horizon trades, and every change of status is kept
as a :class:`ModelTransition` (and in the audit chain); ``backend.forecasts.lifecycle``
makes the changes.
"""

from __future__ import annotations

from django.db import models

from risk_models.promotion import ModelStatus

STATUS_CHOICES = [(status.value, status.value) for status in ModelStatus]
ACTOR_LENGTH = 150
"""Who made a transition: a user name, or ``rule: <rule>``; as long as the audit chain's actor."""


class ModelVersion(models.Model):
    """A trained forecasting model: its name, version, training record and lifecycle status.

    At most one version per ``(asset_group, horizon)`` is ``live`` (the champion); the
    database refuses a second one.
    """

    model = models.CharField(max_length=100)
    version = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    trained_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=STATUS_CHOICES, default=ModelStatus.CANDIDATE.value, db_index=True
    )
    asset_group = models.CharField(max_length=100, blank=True, default="")
    horizon = models.CharField(max_length=10, blank=True, default="")
    gates = models.JSONField(
        default=dict, blank=True, help_text="the latest decision of the automatic rule"
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    manual = models.BooleanField(
        default=False,
        help_text="the latest transition was an operator's: the automatic rule leaves it",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("model", "version"), name="model_version_unique"),
            models.UniqueConstraint(
                fields=("asset_group", "horizon"),
                condition=models.Q(status=ModelStatus.LIVE.value),
                name="model_version_one_live",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[status.value for status in ModelStatus]),
                name="model_version_status_known",
            ),
        ]
        ordering = ("model", "version")

    def __str__(self) -> str:
        return f"{self.model}@{self.version}"


class ModelTransition(models.Model):
    """One change of a model version's status: who or which rule made it, why and when.

    ``replaced`` is the version that was champion before, for a transition to ``live``
    that retired it (a promotion or a rollback); rollback follows it back.
    """

    version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=STATUS_CHOICES)
    to_status = models.CharField(max_length=16, choices=STATUS_CHOICES)
    actor = models.CharField(max_length=ACTOR_LENGTH)
    reason = models.TextField()
    manual = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    replaced = models.ForeignKey(
        ModelVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_in",
    )

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=("version", "created_at"), name="model_transition_version"),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.from_status} -> {self.to_status} by {self.actor}"


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
    # A database default as well: COPY and older writers that leave it out store true.
    tradable = models.BooleanField(
        default=True, db_default=True, help_text="false: a non-live version's forecast, not traded"
    )

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
