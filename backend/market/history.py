"""History for the forecast engine from the bar table, in the shape LEAN's reader returns.

``load_bars_from_database(request, *, now=None)`` answers an
``engines.forecast.sources.BarRequest`` (``security_type``, ``market``, ``resolution``,
``symbols``, ``end``, ``history_days``; ``source`` and ``data_folder`` are not used) with
one frame per requested symbol, equal to what ``market_data.lean.read_bars`` returns for
the LEAN folder the same ingestion wrote: index ``time`` (bar start, naive, in the data
time zone: New York for US equity, UTC for crypto), float64 ``open, high, low, close,
volume`` and ``end_time`` (naive, same zone), oldest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from market_data.lean import SeriesKey
from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS

from .models import Bar
from .series import bar_columns, moment_utc, to_data_time

_ROW_FIELDS = ("start", "timestamp", *TRADE_COLUMNS)


class HistoryRequest(Protocol):
    """The fields of ``engines.forecast.sources.BarRequest`` this loader reads."""

    @property
    def security_type(self) -> str: ...
    @property
    def market(self) -> str: ...
    @property
    def resolution(self) -> str: ...
    @property
    def symbols(self) -> tuple[str, ...]: ...
    @property
    def end(self) -> pd.Timestamp | None: ...
    @property
    def history_days(self) -> int: ...


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: pd.Series(dtype=np.float64) for name in TRADE_COLUMNS},
        index=pd.DatetimeIndex([], name=INDEX_NAME, dtype="datetime64[ns]"),
    )
    frame[END_TIME_COLUMN] = pd.Series(dtype="datetime64[ns]")
    return frame


def _frame(rows: list[tuple[Any, ...]], series: SeriesKey) -> pd.DataFrame:
    if not rows:
        return _empty()
    starts, ends, *values = zip(*rows, strict=True)
    index = to_data_time(pd.DatetimeIndex(starts), series).rename(INDEX_NAME)
    frame = pd.DataFrame(
        {
            name: np.asarray(column, dtype=np.float64)
            for name, column in zip(TRADE_COLUMNS, values, strict=True)
        },
        index=index,
    )
    frame[END_TIME_COLUMN] = to_data_time(pd.DatetimeIndex(ends), series)
    return frame


def load_bars_from_database(
    request: HistoryRequest, *, now: datetime | None = None
) -> dict[str, pd.DataFrame]:
    """One frame per symbol of ``request``: its stored bars of the last ``history_days``.

    Parameters
    ----------
    request
        An ``engines.forecast.sources.BarRequest``: the series (``security_type``,
        ``market``, ``resolution``, each of ``symbols``), ``end`` (the last bar start to
        load, inclusive, naive data time; None for the newest) and ``history_days``.
    now
        Current time (aware; default the clock). The window is the ``history_days`` days
        before the earlier of ``now`` and ``end``.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keyed by the symbols as requested, in the ``market_data.lean.read_bars`` trade
        shape; a symbol with no stored bar in the window gets an empty frame of that shape.
    """
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    frames: dict[str, pd.DataFrame] = {}
    for symbol in request.symbols:
        series = SeriesKey(request.security_type, request.market, symbol, request.resolution)
        anchor = pd.Timestamp(moment)
        upper = None
        if request.end is not None:
            upper = moment_utc(pd.Timestamp(request.end), series)
            anchor = min(anchor, upper)
        lower = anchor - pd.Timedelta(days=request.history_days)
        query = Bar.objects.filter(
            **bar_columns(series), timestamp__gt=lower, start__gte=lower, start__isnull=False
        )
        if upper is not None:
            query = query.filter(start__lte=upper)
        rows = list(query.order_by("timestamp").values_list(*_ROW_FIELDS))
        frames[symbol] = _frame(rows, series)
    return frames
