"""Prometheus series of the market-data feeds, served by ``/metrics`` with the backend's series.

Labels are feed names (a handful, configured by operators) and refusal reasons (a fixed
vocabulary), never symbols or times. Under a worker with ``PROMETHEUS_MULTIPROC_DIR`` the
values go to that folder like every other metric; gauges keep the most recent value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from prometheus_client import Counter, Gauge

from backend.common.monitoring.metrics import HTTP_REGISTRY

FEED_HEALTHY = Gauge(
    "ats_market_feed_healthy",
    "1 while a feed is healthy, 0 after failure_threshold consecutive failed runs.",
    ["feed"],
    registry=HTTP_REGISTRY,
    multiprocess_mode="mostrecent",
)
FEED_CONSECUTIVE_FAILURES = Gauge(
    "ats_market_feed_consecutive_failures",
    "Failed ingestion runs of a feed since its last successful one.",
    ["feed"],
    registry=HTTP_REGISTRY,
    multiprocess_mode="mostrecent",
)
FEED_LAST_SUCCESS = Gauge(
    "ats_market_feed_last_success_timestamp_seconds",
    "Unix time of a feed's latest run in which every symbol succeeded.",
    ["feed"],
    registry=HTTP_REGISTRY,
    multiprocess_mode="mostrecent",
)
FEED_RUNS = Counter(
    "ats_market_feed_runs",
    "Ingestion runs of a feed by outcome (succeeded, partial, failed).",
    ["feed", "outcome"],
    registry=HTTP_REGISTRY,
)
FEED_BARS_STORED = Counter(
    "ats_market_feed_bars_stored",
    "Bars a feed wrote (new, overlap re-fetched and back-filled).",
    ["feed"],
    registry=HTTP_REGISTRY,
)
FEED_BARS_REFUSED = Counter(
    "ats_market_feed_bars_refused",
    "Bars a feed refused, by reason code.",
    ["feed", "reason"],
    registry=HTTP_REGISTRY,
)


def feed_run_record(
    *,
    feed: str,
    outcome: str,
    healthy: bool,
    consecutive_failures: int,
    stored: int,
    refused: Mapping[str, int],
    last_success_at: datetime | None,
) -> None:
    """Update the feed series after one run."""
    FEED_RUNS.labels(feed=feed, outcome=outcome).inc()
    FEED_HEALTHY.labels(feed=feed).set(1.0 if healthy else 0.0)
    FEED_CONSECUTIVE_FAILURES.labels(feed=feed).set(consecutive_failures)
    if stored:
        FEED_BARS_STORED.labels(feed=feed).inc(stored)
    for reason, count in refused.items():
        if count:
            FEED_BARS_REFUSED.labels(feed=feed, reason=reason).inc(count)
    if last_success_at is not None:
        FEED_LAST_SUCCESS.labels(feed=feed).set(last_success_at.timestamp())
