"""Celery task of the market-data feeds: a thin wrapper over ``ingestion.feed_ingest_run``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)


@shared_task(name="market.ingest_feed", ignore_result=True)
def ingest_feed(feed_name: str, now: str | None = None) -> dict[str, Any]:
    """Ingest every symbol of the feed ``feed_name`` (beat runs it per feed).

    ``now`` (ISO-8601, aware) replaces the current time, e.g. in tests or to replay.
    A disabled or unknown feed, or one another process is ingesting, is skipped.
    """
    from .ingestion import FeedBusyError, feed_ingest_run
    from .models import Feed

    feed = Feed.objects.filter(name=feed_name).first()
    if feed is None or not feed.enabled:
        logger.warning("feed_run_skipped", feed=feed_name, reason="unknown or disabled")
        return {"feed": feed_name, "skipped": "unknown or disabled"}
    moment = datetime.fromisoformat(now) if now else None
    try:
        run = feed_ingest_run(feed=feed, now=moment)
    except FeedBusyError as error:
        logger.info("feed_run_skipped", feed=feed_name, reason=str(error))
        return {"feed": feed_name, "skipped": str(error)}
    return {
        "feed": feed_name,
        "run": run.pk,
        "status": run.status,
        "stored": run.stored,
        "new_bars": run.new_bars,
    }
