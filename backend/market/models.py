"""Market bars (OHLCV) per asset and interval."""

from __future__ import annotations

from django.db import models


class Bar(models.Model):
    """One OHLCV bar; ``timestamp`` is the bar's end time (UTC)."""

    asset = models.CharField(max_length=40)
    interval = models.CharField(max_length=10)
    timestamp = models.DateTimeField()
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField()
    source = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("asset", "interval", "timestamp"), name="bar_unique")
        ]
        indexes = [models.Index(fields=("timestamp",), name="bar_time")]

    def __str__(self) -> str:
        return f"{self.asset} {self.interval} {self.timestamp:%Y-%m-%d %H:%M} {self.close}"
