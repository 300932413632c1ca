"""``market_data.ingest.BarStore`` on the bar table: a bulk idempotent upsert by series and time.

On PostgreSQL a batch is copied (``COPY``) into a session-local temporary table and moved
with one ``INSERT ... SELECT ... ON CONFLICT (series, end time) DO UPDATE``, in one
transaction: a bar stored again is overwritten, never doubled, and a crash stores the
whole batch or none of it. Other databases (the embedded SQLite demo) get the same upsert
through ``bulk_create``. Values are stored as LEAN's files hold them (US equity prices in
whole deci-cents, volumes in whole shares), so the table and the LEAN folder written by the
same ingestion read back equal.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction

from market_data.ingest import RefusedBar
from market_data.lean import SeriesKey
from market_data.lean_format.columns import EQUITY_PRICE_SCALE

from .models import Bar, Feed
from .models import RefusedBar as RefusedBarRow
from .series import bar_columns, moment_utc, to_data_time, to_utc

VALUE_COLUMNS = ("open", "high", "low", "close", "volume")
SERIES_COLUMNS = ("security_type", "market", "asset", "interval")
_STAGING = "market_bar_incoming"
# Largest gap between a bar's start and its end (a daily bar): bounds range queries on the
# end time, which the table is indexed and partitioned by.
_LONGEST_BAR = pd.Timedelta(days=2)


def lean_values(series: SeriesKey, bars: pd.DataFrame) -> dict[str, np.ndarray]:
    """The value columns as LEAN's files store them (equity prices in deci-cents)."""
    values = {name: bars[name].to_numpy(dtype=np.float64) for name in VALUE_COLUMNS}
    if series.security_type == "equity":
        for name in ("open", "high", "low", "close"):
            values[name] = np.rint(values[name] * EQUITY_PRICE_SCALE) / EQUITY_PRICE_SCALE
        values["volume"] = np.rint(values["volume"])
    return values


def _json_number(value: float) -> float | None:
    return value if isinstance(value, int | float) and math.isfinite(value) else None


class DatabaseBarStore:
    """The bar table as a ``market_data.ingest.BarStore``.

    Parameters
    ----------
    feed
        The feed refused bars are recorded under (None: not tied to a feed).
    source
        Kept on every stored row (``ccxt:binance``, ``polygon``).
    clock
        Current time of refusal records.
    """

    def __init__(
        self,
        *,
        feed: Feed | None = None,
        source: str = "",
        clock: Any = None,
    ) -> None:
        self.feed = feed
        self.source = source[:40]
        self._clock = clock or (lambda: datetime.now(UTC))

    def last_bar_time(self, series: SeriesKey) -> pd.Timestamp | None:
        """Start of the series' latest stored bar (naive data time), or None."""
        start = (
            Bar.objects.filter(**bar_columns(series), start__isnull=False)
            .order_by("-timestamp")
            .values_list("start", flat=True)
            .first()
        )
        if start is None:
            return None
        return pd.Timestamp(to_data_time(pd.DatetimeIndex([start]), series)[0])

    def bar_times(
        self, series: SeriesKey, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DatetimeIndex:
        """Starts of the stored bars in ``[start, end]`` (naive data time)."""
        lower, upper = moment_utc(start, series), moment_utc(end, series)
        starts = (
            Bar.objects.filter(
                **bar_columns(series),
                timestamp__gte=lower,
                timestamp__lte=upper + _LONGEST_BAR,
                start__gte=lower,
                start__lte=upper,
            )
            .order_by("timestamp")
            .values_list("start", flat=True)
        )
        moments = list(starts)
        if not moments:
            return pd.DatetimeIndex([], dtype="datetime64[ns]", name="time")
        return to_data_time(pd.DatetimeIndex(moments), series).rename("time")

    def write(self, series: SeriesKey, bars: pd.DataFrame) -> int:
        """Upsert ``bars`` (read_bars trade shape) by series and time; return the count."""
        if bars.empty:
            return 0
        bars = bars[~bars.index.duplicated(keep="last")]
        starts = to_utc(pd.DatetimeIndex(bars.index), series)
        ends = to_utc(pd.DatetimeIndex(bars["end_time"]), series)
        values = lean_values(series, bars)
        if connection.vendor == "postgresql":
            _copy_upsert(series, starts, ends, values, self.source)
        else:
            _orm_upsert(series, starts, ends, values, self.source)
        return len(bars)

    def record_refusals(self, series: SeriesKey, refused: Sequence[RefusedBar]) -> None:
        """Keep each refused bar with its reason; one seen before is refreshed and counted."""
        if not refused:
            return
        now = self._clock()
        columns = {
            "security_type": series.security_type,
            "market": series.market,
            "symbol": series.symbol.upper(),
            "resolution": series.resolution,
        }
        with transaction.atomic():
            for bar in refused:
                bar_time = None if bar.time is None else moment_utc(bar.time, series)
                values = {name: _json_number(value) for name, value in bar.values.items()}
                row = RefusedBarRow.objects.filter(
                    **columns, bar_time=bar_time, reason=bar.reason.value
                ).first()
                if row is None or bar_time is None:
                    RefusedBarRow.objects.create(
                        feed=self.feed,
                        **columns,
                        bar_time=bar_time,
                        reason=bar.reason.value,
                        message=bar.message,
                        values=values,
                        first_seen_at=now,
                        seen_at=now,
                    )
                    continue
                row.feed = self.feed or row.feed
                row.message, row.values, row.seen_at = bar.message, values, now
                row.times_seen += 1
                row.save(update_fields=("feed", "message", "values", "seen_at", "times_seen"))


def _epoch_seconds(times: pd.DatetimeIndex) -> np.ndarray:
    naive = pd.DatetimeIndex(times).tz_convert("UTC").tz_localize(None)
    return naive.to_numpy(dtype="datetime64[s]").astype(np.int64)


def _copy_buffer(
    starts: pd.DatetimeIndex, ends: pd.DatetimeIndex, values: dict[str, np.ndarray]
) -> io.StringIO:
    """Tab-separated rows: end and start as epoch seconds, then the values (exact text)."""
    frame = pd.DataFrame(
        {"end": _epoch_seconds(ends), "start": _epoch_seconds(starts), **values}, copy=False
    )
    buffer = io.StringIO()
    frame.to_csv(buffer, sep="\t", header=False, index=False, float_format=None)
    buffer.seek(0)
    return buffer


def _copy_upsert(
    series: SeriesKey,
    starts: pd.DatetimeIndex,
    ends: pd.DatetimeIndex,
    values: dict[str, np.ndarray],
    source: str,
) -> None:
    fixed = bar_columns(series)
    buffer = _copy_buffer(starts, ends, values)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} ("
            "end_s bigint, start_s bigint, open double precision, high double precision,"
            " low double precision, close double precision, volume double precision)"
        )
        cursor.execute(f"TRUNCATE {_STAGING}")
        cursor.cursor.copy_expert(
            f"COPY {_STAGING} (end_s, start_s, open, high, low, close, volume) FROM STDIN",
            buffer,
        )
        cursor.execute(
            "INSERT INTO market_bar (security_type, market, asset, interval, timestamp, start,"
            " open, high, low, close, volume, source)"
            " SELECT %s, %s, %s, %s, to_timestamp(end_s), to_timestamp(start_s),"
            f" open, high, low, close, volume, %s FROM {_STAGING}"
            " ON CONFLICT (security_type, market, asset, interval, timestamp) DO UPDATE SET"
            " start = EXCLUDED.start, open = EXCLUDED.open, high = EXCLUDED.high,"
            " low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,"
            " source = EXCLUDED.source",
            [fixed["security_type"], fixed["market"], fixed["asset"], fixed["interval"], source],
        )


def _orm_upsert(
    series: SeriesKey,
    starts: pd.DatetimeIndex,
    ends: pd.DatetimeIndex,
    values: dict[str, np.ndarray],
    source: str,
) -> None:
    fixed = bar_columns(series)
    rows = [
        Bar(
            **fixed,
            timestamp=end.to_pydatetime(),
            start=start.to_pydatetime(),
            open=float(open_),
            high=float(high),
            low=float(low),
            close=float(close),
            volume=float(volume),
            source=source,
        )
        for start, end, open_, high, low, close, volume in zip(
            starts, ends, *(values[name] for name in VALUE_COLUMNS), strict=True
        )
    ]
    with transaction.atomic():
        Bar.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=(*SERIES_COLUMNS, "timestamp"),
            update_fields=("start", *VALUE_COLUMNS, "source"),
        )
