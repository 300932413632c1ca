"""Reads of market bars and of the feeds' settings, runs, refused bars and status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Max, QuerySet

from backend.forecasts.selectors import IsoTimestampText

from .models import Bar, Feed, FeedRun, RefusedBar
from .series import RESOLUTION_INTERVALS, feed_series

BAR_ROW_FIELDS = ("id", "asset", "interval", "timestamp", "open", "high", "low", "close", "volume")


def bar_list() -> QuerySet[Bar]:
    """Every bar (filter and paginate in the caller)."""
    return Bar.objects.all()


def bar_rows() -> QuerySet[Bar, dict[str, Any]]:
    """Bars as plain rows (no model instances), for large pages.

    On PostgreSQL the timestamp also comes as ready-made text (``timestamp_text``).
    """
    if connection.vendor != "postgresql":
        return Bar.objects.values(*BAR_ROW_FIELDS)
    return Bar.objects.annotate(timestamp_text=IsoTimestampText("timestamp")).values(
        *BAR_ROW_FIELDS, "timestamp_text"
    )


# ---------------------------------------------------------------- feeds


def feed_list() -> QuerySet[Feed]:
    """Every feed, by name."""
    return Feed.objects.order_by("name")


def feed_get(*, name: str) -> Feed | None:
    """The feed called ``name``, or None."""
    return Feed.objects.filter(name=name).first()


def feed_run_list(*, feed: Feed) -> QuerySet[FeedRun]:
    """The feed's runs, newest first."""
    return FeedRun.objects.filter(feed=feed).order_by("-started_at", "-id")


def refused_bar_list() -> QuerySet[RefusedBar]:
    """Every refused bar, most recently seen first (filter in the caller)."""
    return RefusedBar.objects.select_related("feed").order_by("-seen_at", "-id")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def feed_status(*, feed: Feed, now: datetime) -> dict[str, Any]:
    """The feed's state: per series the last bar, its lag, gaps and refused bars; and health.

    ``last_bar_time`` is the last stored bar's start and ``last_bar_end`` its end (UTC);
    ``lag_seconds`` is ``now`` minus that end. ``gaps`` are the missing stretches the
    latest run left (exchange-closed periods excepted), ``refused_bars`` the refused bars
    kept for the series, ``error`` what the latest run said about it.
    """
    series_list = feed_series(feed)
    assets = [series.symbol.upper() for series in series_list]
    latest = {
        row["asset"]: row
        for row in Bar.objects.filter(
            security_type=series_list[0].security_type if series_list else "",
            market=series_list[0].market if series_list else "",
            interval=RESOLUTION_INTERVALS[feed.resolution],
            asset__in=assets,
        )
        .values("asset")
        .annotate(last_end=Max("timestamp"), last_start=Max("start"), bars=Count("id"))
    }
    refused = dict(
        RefusedBar.objects.filter(
            security_type=series_list[0].security_type if series_list else "",
            market=series_list[0].market if series_list else "",
            resolution=feed.resolution,
            symbol__in=assets,
        )
        .values("symbol")
        .annotate(count=Count("id"))
        .values_list("symbol", "count")
    )
    run = feed_run_list(feed=feed).exclude(status="running").first()
    reported = run.series if run is not None else {}
    series_rows = []
    for asset in assets:
        stored = latest.get(asset)
        last_end = stored["last_end"] if stored else None
        summary = reported.get(asset, {})
        series_rows.append(
            {
                "symbol": asset,
                "bars": stored["bars"] if stored else 0,
                "last_bar_time": _iso(stored["last_start"]) if stored else None,
                "last_bar_end": _iso(last_end),
                "lag_seconds": (now - last_end).total_seconds() if last_end else None,
                "gaps": int(summary.get("gaps_remaining", 0)),
                "gap_ranges": summary.get("gaps", []),
                "refused_bars": int(refused.get(asset, 0)),
                "error": summary.get("error", ""),
            }
        )
    lags = [row["lag_seconds"] for row in series_rows if row["lag_seconds"] is not None]
    return {
        "healthy": feed.healthy,
        "consecutive_failures": feed.consecutive_failures,
        "last_error": feed.last_error,
        "last_run_at": _iso(feed.last_run_at),
        "last_success_at": _iso(feed.last_success_at),
        "last_run_status": run.status if run is not None else None,
        "lag_seconds": max(lags) if lags else None,
        "gaps": sum(row["gaps"] for row in series_rows),
        "refused_bars": sum(row["refused_bars"] for row in series_rows),
        "series": series_rows,
    }
