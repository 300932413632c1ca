"""Market bars (OHLCV) per series, the feeds that ingest them, their runs and refused bars."""

from __future__ import annotations

from django.db import models

RESOLUTION_CHOICES = (("daily", "daily"), ("hour", "hour"), ("minute", "minute"))


class Bar(models.Model):
    """One OHLCV bar; ``timestamp`` is the bar's end time (UTC).

    A series is identified as ``market_data.lean.SeriesKey`` is: ``security_type``,
    ``market``, ``asset`` (the LEAN symbol in upper case) and ``interval`` (``1d``, ``1h``,
    ``1m`` for LEAN's daily, hour, minute). Rows stored before the series fields existed
    keep ``security_type`` and ``market`` empty. ``start`` is the bar's start time (UTC),
    set by the ingestion; empty on rows stored without it.
    """

    security_type = models.CharField(max_length=10, blank=True, default="")
    market = models.CharField(max_length=40, blank=True, default="")
    asset = models.CharField(max_length=40)
    interval = models.CharField(max_length=10)
    timestamp = models.DateTimeField()
    start = models.DateTimeField(null=True, blank=True)
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField()
    source = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("security_type", "market", "asset", "interval", "timestamp"),
                name="bar_series_unique",
            )
        ]
        indexes = [
            models.Index(fields=("timestamp",), name="bar_time"),
            models.Index(fields=("asset", "interval", "timestamp"), name="bar_asset_time"),
        ]

    def __str__(self) -> str:
        return f"{self.asset} {self.interval} {self.timestamp:%Y-%m-%d %H:%M} {self.close}"


class Feed(models.Model):
    """A configured market-data feed: where its bars come from, which series, and its health.

    ``source`` ``ccxt`` fetches crypto bars from the CCXT exchange ``exchange`` (also the
    series' LEAN market); ``polygon`` fetches US equity bars (market ``usa``).
    """

    SOURCE_CHOICES = (("ccxt", "CCXT exchange (crypto)"), ("polygon", "Polygon (US equity)"))

    name = models.CharField(max_length=64, unique=True)
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES)
    exchange = models.CharField(max_length=40, blank=True, default="")
    symbols = models.JSONField(default=list)
    resolution = models.CharField(max_length=10, choices=RESOLUTION_CHOICES)
    start = models.DateField(help_text="First bar day of a first load (data time).")
    overlap = models.PositiveSmallIntegerField(default=3)
    enabled = models.BooleanField(default=True)
    failure_threshold = models.PositiveSmallIntegerField(
        default=3, help_text="Consecutive failed runs after which the feed is unhealthy."
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    healthy = models.BooleanField(default=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class FeedRun(models.Model):
    """One ingestion run of a feed over all its symbols, with what it did."""

    STATUS_CHOICES = (
        ("running", "running"),
        ("succeeded", "succeeded"),
        ("partial", "partial"),
        ("failed", "failed"),
    )
    TRIGGER_CHOICES = (("schedule", "schedule"), ("backfill", "backfill"), ("manual", "manual"))

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(max_length=10, choices=TRIGGER_CHOICES, default="schedule")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default="running")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    fetched = models.PositiveIntegerField(default=0)
    stored = models.PositiveIntegerField(default=0)
    new_bars = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=dict, blank=True)
    gaps_found = models.PositiveIntegerField(default=0)
    gaps_filled = models.PositiveIntegerField(default=0)
    gaps_remaining = models.PositiveIntegerField(default=0)
    series = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=("feed", "-started_at"), name="feed_run_feed_time")]

    def __str__(self) -> str:
        return f"{self.feed_id} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class RefusedBar(models.Model):
    """A bar the ingestion refused, with its reason; seen again, its row is refreshed."""

    feed = models.ForeignKey(
        Feed, null=True, blank=True, on_delete=models.SET_NULL, related_name="refused_bars"
    )
    security_type = models.CharField(max_length=10)
    market = models.CharField(max_length=40)
    symbol = models.CharField(max_length=40)
    resolution = models.CharField(max_length=10)
    bar_time = models.DateTimeField(null=True, blank=True, help_text="Bar start (UTC).")
    reason = models.CharField(max_length=32)
    message = models.TextField()
    values = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-seen_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=("security_type", "market", "symbol", "resolution", "bar_time", "reason"),
                name="refused_bar_unique",
            )
        ]
        indexes = [models.Index(fields=("feed", "-seen_at"), name="refused_bar_feed_time")]

    def __str__(self) -> str:
        return f"{self.symbol} {self.resolution} {self.bar_time} {self.reason}"
