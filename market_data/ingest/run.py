"""One idempotent ingestion step: plan, fetch, check, store, report.

Storage is anything that fulfils :class:`BarStore` (the LEAN data folder here, a database
table in the backend). Writing is an upsert by bar time, so a step can be repeated, or
resumed after a crash, without storing a bar twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import pandas as pd

from market_data.ingest.calendar import ExchangeCalendar
from market_data.ingest.gaps import Gap, find_gaps
from market_data.ingest.plan import DEFAULT_OVERLAP, IngestWindow, plan_window
from market_data.ingest.times import bar_period
from market_data.ingest.validation import RefusedBar, validate_bars
from market_data.lean_format.columns import TRADE_COLUMNS, empty_bars
from market_data.lean_format.layout import SeriesKey

DEFAULT_GAP_LOOKBACK_BARS = 1000
"""Stored bars (counted back from the last one) searched for gaps on every run."""
DEFAULT_MAX_GAP_FETCHES = 10
"""Gaps asked for again per run; the others wait for the next run."""

Fetch = Callable[[SeriesKey, pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""``fetch(series, start, end)``: the provider's bars starting in ``[start, end)`` (naive
data time), in the :func:`market_data.lean.read_bars` trade shape."""


class BarStore(Protocol):
    """Where ingested bars go; every method is keyed by the series.

    A database implementation maps ``write`` onto a bulk upsert on ``(series, time)``
    and ``bar_times`` onto an indexed range query.
    """

    def last_bar_time(self, series: SeriesKey) -> pd.Timestamp | None:
        """Start time of the series' latest stored bar (naive data time), or None."""
        ...

    def bar_times(
        self, series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """Start times of the stored bars in ``[start, end]`` (inclusive)."""
        ...

    def write(self, series: SeriesKey, bars: pd.DataFrame) -> int:
        """Store ``bars`` (read_bars trade shape), replacing any bar at the same time.

        Must be idempotent by bar time: writing the same bars again changes nothing.
        Returns the number of bars written.
        """
        ...

    def record_refusals(self, series: SeriesKey, refused: Sequence[RefusedBar]) -> None:
        """Keep the refused bars with their reasons (for the API and the dashboard)."""
        ...


@dataclass(frozen=True)
class IngestReport:
    """What one :func:`ingest` step did.

    Parameters
    ----------
    series
        The series ingested.
    window
        The incremental request window.
    fetched
        Bars the provider returned inside the requested windows (gap re-fetches included).
    stored
        Bars written (new ones, re-fetched overlap and back-filled gaps).
    new_bars
        Stored bars later than the previously last stored bar.
    refused
        Refused bars per reason code.
    gaps_found
        Gaps in the checked stored range before this step.
    gaps_filled
        Those of them now stored completely.
    gaps_remaining
        Gaps in the stored range after this step (including any new ones).
    last_bar_time
        The latest stored bar after this step.
    ignored
        Bars the provider returned outside the requested windows (not stored).
    """

    series: SeriesKey
    window: IngestWindow
    fetched: int
    stored: int
    new_bars: int
    refused: Mapping[str, int] = field(default_factory=dict)
    gaps_found: tuple[Gap, ...] = ()
    gaps_filled: tuple[Gap, ...] = ()
    gaps_remaining: tuple[Gap, ...] = ()
    last_bar_time: pd.Timestamp | None = None
    ignored: int = 0


def ingest(
    series: SeriesKey,
    provider_fetch: Fetch,
    store: BarStore,
    *,
    now: datetime,
    start: date | datetime | str | pd.Timestamp,
    overlap: int = DEFAULT_OVERLAP,
    gap_lookback_bars: int | None = DEFAULT_GAP_LOOKBACK_BARS,
    max_gap_fetches: int = DEFAULT_MAX_GAP_FETCHES,
    calendar: ExchangeCalendar | None = None,
) -> IngestReport:
    """Bring one series up to date: new closed bars, refreshed overlap, back-filled gaps.

    Parameters
    ----------
    series
        The series to update (trade bars).
    provider_fetch
        Fetches the provider's bars of a window (see :data:`Fetch`).
    store
        Where bars are kept (see :class:`BarStore`).
    now
        Current time, time-zone aware: bars not closed at ``now`` are neither requested
        nor stored.
    start
        Configured first bar time of the series (first load; no run goes earlier).
    overlap
        Stored bars fetched again to catch late corrections.
    gap_lookback_bars
        How far back from the last stored bar gaps are searched (in bar periods);
        None searches from ``start``.
    max_gap_fetches
        Gaps requested again in this step, oldest first.
    calendar
        Overrides the exchange calendar of the series' security type.

    Returns
    -------
    IngestReport
        Counts, refusals by reason, gaps and the window.

    Notes
    -----
    Bars are written in one ``store.write`` call, oldest first, after every fetch has
    succeeded: a provider failure stores nothing, and a crash while writing leaves the
    store with a prefix of the batch, which the next step completes.
    """
    plan = _plan(
        series,
        store,
        now=now,
        start=start,
        overlap=overlap,
        gap_lookback_bars=gap_lookback_bars,
        max_gap_fetches=max_gap_fetches,
        calendar=calendar,
    )
    return _apply(plan, _fetch(plan, provider_fetch), store, now=now, calendar=calendar)


@dataclass(frozen=True)
class _Plan:
    """What a step asks the provider for, decided from the store before fetching."""

    series: SeriesKey
    window: IngestWindow
    last: pd.Timestamp | None
    stored_before: pd.DatetimeIndex
    gaps_found: tuple[Gap, ...]
    requests: tuple[tuple[pd.Timestamp, pd.Timestamp], ...]


@dataclass(frozen=True)
class _Fetched:
    batch: pd.DataFrame
    fetched: int
    ignored: int


def _plan(
    series: SeriesKey,
    store: BarStore,
    *,
    now: datetime,
    start: date | datetime | str | pd.Timestamp,
    overlap: int,
    gap_lookback_bars: int | None,
    max_gap_fetches: int,
    calendar: ExchangeCalendar | None,
) -> _Plan:
    last = store.last_bar_time(series)
    window = plan_window(series, last_bar_time=last, now=now, start=start, overlap=overlap)
    period = bar_period(series)
    stored_before = pd.DatetimeIndex([], dtype="datetime64[ns]")
    gaps_found: list[Gap] = []
    if last is not None:
        configured = plan_window(series, last_bar_time=None, now=now, start=start).start
        scan_start = configured
        if gap_lookback_bars is not None:
            scan_start = max(configured, last - period * gap_lookback_bars)
        stored_before = store.bar_times(series, scan_start, last)
        gaps_found = find_gaps(stored_before, series, calendar=calendar)
    requests = [(gap.start, gap.end + period) for gap in gaps_found if gap.start < window.start]
    requests = requests[:max_gap_fetches]
    if not window.is_empty:
        requests.append((window.start, window.end))
    return _Plan(series, window, last, stored_before, tuple(gaps_found), tuple(requests))


def _fetch(plan: _Plan, provider_fetch: Fetch) -> _Fetched:
    frames, fetched, ignored = [], 0, 0
    for lower, upper in plan.requests:
        bars = provider_fetch(plan.series, lower, upper)
        inside = (bars.index >= lower) & (bars.index < upper)
        fetched += int(inside.sum())
        ignored += int((~inside).sum())
        frames.append(bars.loc[inside, [c for c in TRADE_COLUMNS if c in bars.columns]])
    batch = pd.concat(frames) if frames else empty_bars()
    return _Fetched(batch, fetched, ignored)


def _apply(
    plan: _Plan,
    fetched: _Fetched,
    store: BarStore,
    *,
    now: datetime,
    calendar: ExchangeCalendar | None,
) -> IngestReport:
    series, last, stored_before, gaps_found = (
        plan.series,
        plan.last,
        plan.stored_before,
        plan.gaps_found,
    )
    checked = validate_bars(fetched.batch, series, now=now)
    accepted = checked.accepted
    if checked.refused:
        store.record_refusals(series, checked.refused)
    written = store.write(series, accepted) if not accepted.empty else 0
    new_bars = int((accepted.index > last).sum()) if last is not None else len(accepted)
    times_after = stored_before.union(pd.DatetimeIndex(accepted.index))
    latest = times_after.max() if not times_after.empty else None
    if last is not None and (latest is None or last > latest):
        latest = last
    remaining = find_gaps(times_after, series, calendar=calendar)
    filled = tuple(gap for gap in gaps_found if not any(gap.overlaps(r) for r in remaining))
    return IngestReport(
        series=series,
        window=plan.window,
        fetched=fetched.fetched,
        stored=written,
        new_bars=new_bars,
        refused=checked.counts,
        gaps_found=tuple(gaps_found),
        gaps_filled=filled,
        gaps_remaining=tuple(remaining),
        last_bar_time=latest,
        ignored=fetched.ignored,
    )


def ingest_each(
    series_list: Sequence[SeriesKey],
    provider_fetch: Fetch,
    store: BarStore,
    *,
    now: datetime,
    start: date | datetime | str | pd.Timestamp,
    overlap: int = DEFAULT_OVERLAP,
    gap_lookback_bars: int | None = DEFAULT_GAP_LOOKBACK_BARS,
    max_gap_fetches: int = DEFAULT_MAX_GAP_FETCHES,
    calendar: ExchangeCalendar | None = None,
) -> Iterator[tuple[SeriesKey, IngestReport | Exception]]:
    """:func:`ingest` each series in turn, fetching the next one's bars while storing.

    Yields each series with its report, or with the exception its step raised (a failed
    series does not stop the others). The store is used from the calling thread only;
    ``provider_fetch`` runs in one background thread, one request at a time, so a client
    that is not thread-safe is still used by a single thread. Each step is the same as
    :func:`ingest`'s: series are independent, so planning the next one before the current
    one is stored changes nothing.
    """

    def planned(series: SeriesKey) -> _Plan:
        return _plan(
            series,
            store,
            now=now,
            start=start,
            overlap=overlap,
            gap_lookback_bars=gap_lookback_bars,
            max_gap_fetches=max_gap_fetches,
            calendar=calendar,
        )

    def submit(pool: ThreadPoolExecutor, series: SeriesKey) -> _Pending:
        try:
            plan = planned(series)
        except Exception as error:  # noqa: BLE001 - reported with its series
            return series, error
        return series, (plan, pool.submit(_fetch, plan, provider_fetch))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-fetch") as pool:
        pending = submit(pool, series_list[0]) if series_list else None
        for position in range(len(series_list)):
            assert pending is not None
            current = pending
            following = position + 1
            pending = submit(pool, series_list[following]) if following < len(series_list) else None
            series, state = current
            if isinstance(state, Exception):
                yield series, state
                continue
            plan, future = state
            try:
                yield series, _apply(plan, future.result(), store, now=now, calendar=calendar)
            except Exception as error:  # noqa: BLE001 - reported with its series
                yield series, error


_Pending = tuple[SeriesKey, "Exception | tuple[_Plan, Future[_Fetched]]"]
