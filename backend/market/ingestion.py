"""Run a feed: every symbol through ``market_data.ingest.ingest`` into the table and the LEAN folder.

One step per series writes the bar table (one upsert transaction) and then the LEAN data
folder (each file replaced atomically). The combined store reports the earlier of the two
last bars and only the bars both hold, so a step interrupted between the two writes is
completed by the next one, which fetches from where the lagging store stopped and writes
both again (idempotently). A symbol that fails is recorded and the others carry on; the
feed's health follows the runs (see :func:`feed_ingest_run`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import structlog
from django.db import connection

from market_data.ingest import Fetch, IngestReport, LeanFolderStore, RefusedBar
from market_data.ingest.fetchers import exchange_fetch, polygon_fetch
from market_data.ingest.run import ingest_each
from market_data.lean import SeriesKey
from market_data.providers import RetryConfig
from market_data.providers.exchange import ExchangeClient, ExchangeClientConfig
from market_data.providers.polygon import PolygonClient, PolygonClientConfig

from .bar_store import DatabaseBarStore
from .config import FeedOptions, feed_options
from .metrics import feed_run_record
from .models import Feed, FeedRun
from .series import feed_series

logger = structlog.get_logger(__name__)

# First half of the advisory lock key of a feed's run (the second is the feed's id).
_FEED_LOCK_SPACE = 7_042_018
MAX_ERROR_LENGTH = 2000


class FeedBusyError(RuntimeError):
    """Another process is ingesting this feed right now."""


class TableAndFolderStore:
    """Both stores of a feed as one ``BarStore``: the table first, then the LEAN folder."""

    def __init__(self, database: DatabaseBarStore, folder: LeanFolderStore) -> None:
        self.database = database
        self.folder = folder

    def last_bar_time(self, series: SeriesKey) -> pd.Timestamp | None:
        """The earlier of the two stores' last bars (None when either holds none)."""
        times = [self.database.last_bar_time(series), self.folder.last_bar_time(series)]
        if any(moment is None for moment in times):
            return None
        return min(moment for moment in times if moment is not None)

    def bar_times(
        self, series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """The bars both stores hold (a bar missing from either is a gap to fill)."""
        held = self.database.bar_times(series, start, end)
        if held.empty:
            return held
        return held.intersection(self.folder.bar_times(series, start, end))

    def write(self, series: SeriesKey, bars: pd.DataFrame) -> int:
        """Upsert into the table and merge into the LEAN files, side by side.

        The LEAN files are formatted in a second thread while PostgreSQL applies the
        upsert (the database call releases the GIL). Either write may fail alone: the
        other store is then ahead, and the next step, which starts from the lagging
        store's last bar, writes both again. An error of either is raised after both end.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lean-write") as pool:
            folder_write = pool.submit(self.folder.write, series, bars)
            try:
                written = self.database.write(series, bars)
            finally:
                folder_error = folder_write.exception()
        if folder_error is not None:
            raise folder_error
        return written

    def record_refusals(self, series: SeriesKey, refused: Sequence[RefusedBar]) -> None:
        """Refused bars are kept in the table (``RefusedBar``)."""
        self.database.record_refusals(series, refused)


def feed_source_label(feed: Feed) -> str:
    """What stored rows name as their source: ``ccxt:<exchange>`` or ``polygon``."""
    return f"ccxt:{feed.exchange}" if feed.source == "ccxt" else "polygon"


def feed_store(feed: Feed, *, options: FeedOptions, now: datetime) -> TableAndFolderStore:
    """The table and the LEAN data folder, as the feed's ingestion writes them."""
    database = DatabaseBarStore(feed=feed, source=feed_source_label(feed), clock=lambda: now)
    return TableAndFolderStore(database, LeanFolderStore(options.data_folder))


@contextmanager
def feed_fetch(feed: Feed, *, options: FeedOptions, now: datetime) -> Iterator[Fetch]:
    """A provider fetch for the feed's source; bars not closed at ``now`` are dropped."""
    retry = RetryConfig(max_attempts=options.retry_attempts)
    if feed.source == "ccxt":
        config = ExchangeClientConfig(
            exchange_id=feed.exchange,
            base_url=options.base_urls.get(feed.exchange),
            enable_rate_limit=options.rate_limit,
            retry=retry,
        )
        with ExchangeClient(config, clock=lambda: now) as client:
            yield exchange_fetch(client)
        return
    polygon = replace(PolygonClientConfig.from_environment(), retry=retry)
    if "polygon" in options.base_urls:
        polygon = replace(polygon, base_url=options.base_urls["polygon"])
    with PolygonClient(polygon, clock=lambda: now) as polygon_client:
        yield polygon_fetch(polygon_client)


@contextmanager
def feed_lock(feed: Feed) -> Iterator[None]:
    """Hold the feed's run lock (PostgreSQL advisory lock); FeedBusyError if taken."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_FEED_LOCK_SPACE, feed.pk])
        if not cursor.fetchone()[0]:
            raise FeedBusyError(f"feed {feed.name!r} is being ingested by another process")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_FEED_LOCK_SPACE, feed.pk])


def report_summary(report: IngestReport) -> dict[str, Any]:
    """One series' step as JSON for ``FeedRun.series``."""
    return {
        "fetched": report.fetched,
        "stored": report.stored,
        "new_bars": report.new_bars,
        "refused": dict(report.refused),
        "gaps_found": len(report.gaps_found),
        "gaps_filled": len(report.gaps_filled),
        "gaps_remaining": len(report.gaps_remaining),
        "gaps": [
            {"start": gap.start.isoformat(), "end": gap.end.isoformat(), "bars": gap.missing_bars}
            for gap in report.gaps_remaining
        ],
        "last_bar_time": None if report.last_bar_time is None else report.last_bar_time.isoformat(),
    }


SeriesOutcome = tuple[SeriesKey, "IngestReport | Exception"]
"""A series and its step's report, or the exception the step raised."""


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH]


def run_series(run: FeedRun, outcomes: Iterable[SeriesOutcome]) -> None:
    """Record each series' outcome on ``run`` (not saved); a failed series doesn't stop the rest."""
    refused: dict[str, int] = dict(run.refused)
    for series, report in outcomes:
        key = series.symbol.upper()
        if isinstance(report, Exception):
            logger.warning("feed_series_failed", feed=run.feed.name, symbol=key, error=str(report))
            run.series[key] = {"error": _error_text(report)}
            continue
        summary = report_summary(report)
        previous = run.series.get(key)
        if previous and "error" not in previous:
            summary = _merged(previous, summary)
        run.series[key] = summary
        run.fetched += report.fetched
        run.stored += report.stored
        run.new_bars += report.new_bars
        run.gaps_found += len(report.gaps_found)
        run.gaps_filled += len(report.gaps_filled)
        for reason, count in report.refused.items():
            refused[reason] = refused.get(reason, 0) + count
    run.refused = refused
    run.gaps_remaining = sum(
        int(item.get("gaps_remaining", 0)) for item in run.series.values() if "error" not in item
    )


def _merged(previous: dict[str, Any], latest: dict[str, Any]) -> dict[str, Any]:
    """Two steps of one series in a run (backfill chunks): counts add up, the latest state wins."""
    merged = dict(latest)
    for name in ("fetched", "stored", "new_bars", "gaps_found", "gaps_filled"):
        merged[name] = int(previous.get(name, 0)) + int(latest.get(name, 0))
    refused = dict(previous.get("refused", {}))
    for reason, count in latest.get("refused", {}).items():
        refused[reason] = refused.get(reason, 0) + count
    merged["refused"] = refused
    return merged


def run_finish(run: FeedRun, *, now: datetime, update_health: bool) -> FeedRun:
    """Close a run: its status, the feed's health (scheduled runs) and the metrics."""
    failed = sorted(key for key, item in run.series.items() if "error" in item)
    if run.error:
        run.status = "failed"
    elif not failed:
        run.status = "succeeded"
    else:
        run.status = "failed" if len(failed) == len(run.series) else "partial"
        run.error = "; ".join(f"{key}: {run.series[key]['error']}" for key in failed)[
            :MAX_ERROR_LENGTH
        ]
    run.finished_at = max(now, datetime.now(UTC))
    run.save()
    feed = run.feed
    if update_health:
        feed.last_run_at = now
        if run.status == "succeeded":
            feed.consecutive_failures = 0
            feed.healthy = True
            feed.last_success_at = now
            feed.last_error = ""
        else:
            feed.consecutive_failures += 1
            feed.last_error = run.error
            if feed.consecutive_failures >= feed.failure_threshold:
                feed.healthy = False
        feed.save(
            update_fields=(
                "last_run_at",
                "consecutive_failures",
                "healthy",
                "last_success_at",
                "last_error",
            )
        )
        if not feed.healthy:
            logger.error(
                "feed_unhealthy",
                feed=feed.name,
                consecutive_failures=feed.consecutive_failures,
                error=feed.last_error,
            )
    feed_run_record(
        feed=feed.name,
        outcome=run.status,
        healthy=feed.healthy,
        consecutive_failures=feed.consecutive_failures,
        stored=run.stored,
        refused=run.refused,
        last_success_at=feed.last_success_at,
    )
    logger.info(
        "feed_run_finished",
        feed=feed.name,
        trigger=run.trigger,
        status=run.status,
        fetched=run.fetched,
        stored=run.stored,
        new_bars=run.new_bars,
        refused=run.refused,
        gaps_remaining=run.gaps_remaining,
    )
    return run


def feed_ingest_run(
    *, feed: Feed, now: datetime | None = None, trigger: str = "schedule"
) -> FeedRun:
    """One ingestion run of ``feed`` over all its symbols; the run is stored and returned.

    Every series is brought up to date by ``market_data.ingest.ingest`` (new closed bars
    after the last stored one, the overlap re-fetched, gaps back-filled, bad bars refused
    and recorded). A run in which any symbol fails counts as failed for the feed's
    health: after ``feed.failure_threshold`` failed runs in a row the feed is unhealthy,
    and the next run in which every symbol succeeds makes it healthy again.

    Raises
    ------
    FeedBusyError
        Another process holds the feed's run lock (nothing is recorded).
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    options = feed_options()
    with feed_lock(feed):
        run = FeedRun.objects.create(feed=feed, trigger=trigger, started_at=moment)
        try:
            store = feed_store(feed, options=options, now=moment)
            with feed_fetch(feed, options=options, now=moment) as fetch:
                # the next symbol's bars are fetched while this one's are stored
                outcomes = ingest_each(
                    feed_series(feed),
                    fetch,
                    store,
                    now=moment,
                    start=feed.start,
                    overlap=feed.overlap,
                )
                run_series(run, outcomes)
        except Exception as error:  # noqa: BLE001 - a client that cannot start fails the run
            logger.warning("feed_run_failed", feed=feed.name, error=str(error))
            run.error = _error_text(error)
        return run_finish(run, now=moment, update_health=trigger != "backfill")
