"""API shape of market bars and feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Bar, Feed, FeedRun, RefusedBar
from .selectors import feed_status
from .series import POLYGON_MARKET, SOURCE_SECURITY_TYPES


class BarOutputSerializer(serializers.ModelSerializer[Bar]):
    class Meta:
        model = Bar
        fields = ("asset", "interval", "timestamp", "open", "high", "low", "close", "volume")


def bar_row_output(row: dict[str, Any]) -> dict[str, Any]:
    """The same JSON as :class:`BarOutputSerializer`, from a plain row (``bar_rows``)."""
    if "timestamp_text" in row:
        timestamp = row["timestamp_text"]
    else:
        timestamp = row["timestamp"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "asset": row["asset"],
        "interval": row["interval"],
        "timestamp": timestamp,
        "open": row["open"],
        "high": row["high"],
        "low": row["low"],
        "close": row["close"],
        "volume": row["volume"],
    }


# ---------------------------------------------------------------- feeds


class FeedInputSerializer(serializers.Serializer[Any]):
    """A feed's settings as sent; the services check the rules (exchange ids, dates...)."""

    name = serializers.CharField(max_length=64)
    source = serializers.CharField(max_length=10)  # type: ignore[assignment]
    exchange = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    symbols = serializers.ListField(
        child=serializers.CharField(max_length=50, allow_blank=True), allow_empty=True
    )
    resolution = serializers.CharField(max_length=10)
    start = serializers.DateField()
    overlap = serializers.IntegerField(required=False, default=3)
    enabled = serializers.BooleanField(required=False, default=True)
    failure_threshold = serializers.IntegerField(required=False, default=3)


class FeedSeriesStatusSerializer(serializers.Serializer[Any]):
    symbol = serializers.CharField()
    bars = serializers.IntegerField()
    last_bar_time = serializers.CharField(allow_null=True)
    last_bar_end = serializers.CharField(allow_null=True)
    lag_seconds = serializers.FloatField(allow_null=True)
    gaps = serializers.IntegerField()
    gap_ranges = serializers.ListField(child=serializers.DictField())
    refused_bars = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


class FeedStatusSerializer(serializers.Serializer[Any]):
    healthy = serializers.BooleanField()
    consecutive_failures = serializers.IntegerField()
    last_error = serializers.CharField(allow_blank=True)
    last_run_at = serializers.CharField(allow_null=True)
    last_success_at = serializers.CharField(allow_null=True)
    last_run_status = serializers.CharField(allow_null=True)
    lag_seconds = serializers.FloatField(allow_null=True)
    gaps = serializers.IntegerField()
    refused_bars = serializers.IntegerField()
    series = FeedSeriesStatusSerializer(many=True)


class FeedOutputSerializer(serializers.ModelSerializer[Feed]):
    """A feed's settings and, under ``status``, its state (see ``selectors.feed_status``)."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = Feed
        fields = (
            "name",
            "source",
            "exchange",
            "market",
            "security_type",
            "symbols",
            "resolution",
            "start",
            "overlap",
            "enabled",
            "failure_threshold",
            "created_at",
            "updated_at",
            "status",
        )

    market = serializers.SerializerMethodField()
    security_type = serializers.SerializerMethodField()
    source = serializers.CharField(help_text="ccxt or polygon")  # type: ignore[assignment]
    resolution = serializers.CharField(help_text="daily, hour or minute")

    def get_market(self, feed: Feed) -> str:
        return feed.exchange if feed.source == "ccxt" else POLYGON_MARKET

    def get_security_type(self, feed: Feed) -> str:
        return SOURCE_SECURITY_TYPES.get(feed.source, "")

    @extend_schema_field(FeedStatusSerializer)
    def get_status(self, feed: Feed) -> dict[str, Any]:
        now = self.context.get("now") or datetime.now(UTC)
        return feed_status(feed=feed, now=now)


class FeedRunOutputSerializer(serializers.ModelSerializer[FeedRun]):
    feed = serializers.CharField(source="feed.name")
    # plain strings in the schema: other components already own enums named status/trigger
    status = serializers.CharField(help_text="running, succeeded, partial or failed")
    trigger = serializers.CharField(help_text="schedule, backfill or manual")

    class Meta:
        model = FeedRun
        fields = (
            "id",
            "feed",
            "trigger",
            "status",
            "started_at",
            "finished_at",
            "fetched",
            "stored",
            "new_bars",
            "refused",
            "gaps_found",
            "gaps_filled",
            "gaps_remaining",
            "series",
            "error",
        )


class RefusedBarOutputSerializer(serializers.ModelSerializer[RefusedBar]):
    feed = serializers.CharField(source="feed.name", allow_null=True, default=None)

    class Meta:
        model = RefusedBar
        fields = (
            "id",
            "feed",
            "security_type",
            "market",
            "symbol",
            "resolution",
            "bar_time",
            "reason",
            "message",
            "values",
            "first_seen_at",
            "seen_at",
            "times_seen",
        )


class FeedRunStartedSerializer(serializers.Serializer[Any]):
    feed = serializers.CharField()
    queued = serializers.BooleanField()
