"""Risk decisions from ``risk_updates``, circuit-breaker state and audited re-arms."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RiskDecision(models.Model):
    """One risk update: the factor, the state, why, and the numbers that led to it."""

    message_id = models.CharField(max_length=64)
    timestamp = models.DateTimeField()
    ts_init = models.DateTimeField(null=True, blank=True)
    risk_factor = models.FloatField()
    state = models.CharField(max_length=20)
    reasons = models.JSONField(default=list, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("message_id", "timestamp"), name="risk_message_unique")
        ]
        indexes = [models.Index(fields=("timestamp",), name="risk_time")]

    def __str__(self) -> str:
        return f"{self.state} {self.risk_factor:.2f} @ {self.timestamp:%Y-%m-%d %H:%M}"


class BreakerState(models.Model):
    """The latched state of a circuit breaker (``armed`` or ``tripped``)."""

    ARMED = "armed"
    TRIPPED = "tripped"

    name = models.CharField(max_length=60, unique=True)
    state = models.CharField(max_length=10, choices=[(ARMED, "armed"), (TRIPPED, "tripped")])
    reason = models.CharField(max_length=200, blank=True, default="")
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"


class Rearm(models.Model):
    """An operator's audited re-arm of a tripped breaker."""

    breaker = models.CharField(max_length=60)
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="rearms"
    )
    requested_at = models.DateTimeField()
    message_id = models.CharField(max_length=64, blank=True, default="")
    published = models.BooleanField(default=False)

    class Meta:
        ordering = ("-requested_at",)

    def __str__(self) -> str:
        return f"re-arm {self.breaker} @ {self.requested_at:%Y-%m-%d %H:%M}"
