"""First loads of years of bars for a feed, in chunks, resumable: ``ats data backfill``.

The range is cut into chunks (minute bars: a day, hour bars: 30 days, daily bars: a
year). Each chunk is one ``market_data.ingest.ingest`` step into the same stores as the
scheduled task (the table, then the LEAN folder; bad bars refused and recorded), seen
through a window on the chunk so the step fetches only the chunk, after the chunk's last
stored bar. A chunk both stores already hold completely (by the exchange calendar) is
skipped without a request: re-running a backfill continues where the last one stopped, and
a backfill killed mid-way lost at most the chunk it was writing, which the table's
transaction and the LEAN folder's atomic file swaps leave whole or absent. A symbol whose
chunk fails is recorded on the run and skipped from then on; the others carry on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import structlog

from market_data.ingest import BarStore, Fetch, IngestReport, RefusedBar, find_gaps, ingest
from market_data.ingest.times import bar_period, data_time, first_open_bar
from market_data.lean import SeriesKey

from .config import feed_options
from .ingestion import feed_fetch, feed_lock, feed_store, run_finish, run_series
from .models import Feed, FeedRun
from .series import feed_series, moment_utc

logger = structlog.get_logger(__name__)

CHUNKS = {
    "minute": pd.Timedelta(days=1),
    "hour": pd.Timedelta(days=30),
    "daily": pd.Timedelta(days=365),
}
"""Span of one backfill step per resolution."""


@dataclass(frozen=True)
class Chunk:
    """One step of a backfill: bar starts in ``[start, end)`` of one series."""

    series: SeriesKey
    start: pd.Timestamp
    end: pd.Timestamp
    complete: bool


class ChunkStore:
    """A store seen through ``[lower, upper)``: the chunk's last bar, the chunk's bars."""

    def __init__(self, inner: BarStore, lower: pd.Timestamp, upper: pd.Timestamp) -> None:
        self.inner = inner
        self.lower = lower
        self.last_inside = upper - pd.Timedelta(microseconds=1)

    def last_bar_time(self, series: SeriesKey) -> pd.Timestamp | None:
        times = self.inner.bar_times(series, self.lower, self.last_inside)
        return None if times.empty else pd.Timestamp(times.max())

    def bar_times(
        self, series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        return self.inner.bar_times(series, max(start, self.lower), min(end, self.last_inside))

    def write(self, series: SeriesKey, bars: pd.DataFrame) -> int:
        return self.inner.write(series, bars)

    def record_refusals(self, series: SeriesKey, refused: Sequence[RefusedBar]) -> None:
        self.inner.record_refusals(series, refused)


def backfill_chunks(
    series_list: Sequence[SeriesKey],
    store: BarStore,
    *,
    start: date,
    end: date | None,
    now: datetime,
) -> list[Chunk]:
    """Every chunk of every series from ``start`` to ``end`` (inclusive day; default now).

    A chunk is ``complete`` when the stores hold every bar the exchange calendar expects
    in it.
    """
    chunks: list[Chunk] = []
    for series in series_list:
        period = bar_period(series)
        lower = data_time(start, series)
        upper = first_open_bar(series, now)
        if end is not None:
            upper = min(upper, data_time(end, series) + pd.Timedelta(days=1))
        if upper <= lower:
            continue
        held = store.bar_times(series, lower, upper - period)
        step = CHUNKS[series.resolution]
        chunk_start = lower
        while chunk_start < upper:
            chunk_end = min(chunk_start + step, upper)
            inside = held[(held >= chunk_start) & (held < chunk_end)]
            complete = not inside.empty and not find_gaps(
                inside, series, start=chunk_start, end=chunk_end - period
            )
            chunks.append(Chunk(series, chunk_start, chunk_end, complete))
            chunk_start = chunk_end
    return chunks


def feed_backfill(
    *,
    feed: Feed,
    start: date,
    end: date | None = None,
    now: datetime | None = None,
    on_plan: Callable[[list[Chunk]], None] | None = None,
    on_chunk: Callable[[Chunk, IngestReport | None], None] | None = None,
    data_folder: Path | None = None,
) -> FeedRun:
    """Load ``feed``'s bars from ``start`` to ``end`` chunk by chunk; the run is stored.

    Parameters
    ----------
    feed
        The feed (its source, symbols, resolution; the stores are the scheduled task's).
    start, end
        First and last day (data time, inclusive); ``end`` defaults to the last closed bar.
    now
        Current time (aware; default the clock): no bar still forming is asked for.
    on_plan, on_chunk
        Called with every chunk before the first step, then after each chunk (with its
        report, or None when it was already complete) - a progress bar.
    data_folder
        The LEAN data folder to write; default the feeds' (``ATS_DATA_FOLDER``).

    Raises
    ------
    FeedBusyError
        Another process is ingesting the feed.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    options = feed_options()
    if data_folder is not None:
        options = replace(options, data_folder=Path(data_folder))
    with feed_lock(feed):
        run = FeedRun.objects.create(feed=feed, trigger="backfill", started_at=moment)
        try:
            store = feed_store(feed, options=options, now=moment)
            chunks = backfill_chunks(feed_series(feed), store, start=start, end=end, now=moment)
            if on_plan is not None:
                on_plan(chunks)
            with feed_fetch(feed, options=options, now=moment) as fetch:
                for chunk in chunks:
                    report = None
                    key = chunk.series.symbol.upper()
                    failed = "error" in run.series.get(key, {})
                    if not chunk.complete and not failed:
                        report = _chunk_step(run, chunk, fetch, store, moment)
                    if on_chunk is not None:
                        on_chunk(chunk, report)
        except Exception as error:  # noqa: BLE001 - recorded on the run, then raised by the caller
            logger.warning("feed_backfill_failed", feed=feed.name, error=str(error))
            run.error = f"{type(error).__name__}: {error}"[:2000]
        return run_finish(run, now=moment, update_health=False)


def _chunk_step(
    run: FeedRun, chunk: Chunk, fetch: Fetch, store: BarStore, now: datetime
) -> IngestReport | None:
    chunk_now = min(now, moment_utc(chunk.end, chunk.series).to_pydatetime())
    outcome: IngestReport | Exception
    try:
        outcome = ingest(
            chunk.series,
            fetch,
            ChunkStore(store, chunk.start, chunk.end),
            now=chunk_now,
            start=chunk.start,
            overlap=0,
        )
    except Exception as error:  # noqa: BLE001 - recorded on the run, the others go on
        outcome = error
    # a failing symbol is recorded on the run; its later chunks are left for the next backfill
    run_series(run, [(chunk.series, outcome)])
    return None if isinstance(outcome, Exception) else outcome
