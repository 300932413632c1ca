"""A model version's shadow record, from its stored forecasts and the market's bars.

The record is what ``risk_models.gates`` scores (``RECORD_COLUMNS``): one row per forecast
the version published while it was ``shadow`` or ``live`` (periods read from its
transitions), with the outcome once it is known:

``forward_return``
    close of the first bar at or after ``forecast time + horizon`` over the close of the
    forecast's bar (the newest bar at or before the forecast time);
``next_return``
    close of the bar after the forecast's bar over the forecast's bar's close (what the
    sizing rule earns holding the position for one bar).

Only rows whose outcome bars exist by ``until`` are kept, and a forecast whose newest bar
is older than :data:`REFERENCE_MAX_AGE` has no reference price and is left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from django.db.models import Q

from backend.market.models import Bar
from risk_models.gates import RECORD_COLUMNS
from risk_models.promotion import ModelStatus
from signal_bus.horizon import Horizon

from .models import Forecast, ModelVersion

BAR_INTERVALS: tuple[tuple[str, timedelta], ...] = (
    ("1d", timedelta(days=1)),
    ("1h", timedelta(hours=1)),
    ("1m", timedelta(minutes=1)),
)
"""Bar intervals of the ``market`` app, coarsest first."""

REFERENCE_MAX_AGE = timedelta(days=7)
"""A forecast's bar may be this old at most (weekends and holidays of daily bars fit)."""

SCORED_STATUSES = frozenset({ModelStatus.SHADOW.value, ModelStatus.LIVE.value})


def scored_periods(
    version_row: ModelVersion, *, until: datetime
) -> list[tuple[datetime, datetime | None]]:
    """The periods the version spent in shadow or live by ``until``: ``(start, end)``.

    ``end`` is the transition that ended the period (exclusive), ``None`` for the period
    still running at ``until``.
    """
    periods: list[tuple[datetime, datetime | None]] = []
    start: datetime | None = None
    transitions = [
        record
        for record in version_row.transitions.order_by("created_at", "id")
        if record.created_at <= until
    ]
    for record in transitions:
        entering = record.to_status in SCORED_STATUSES
        if entering and start is None:
            start = record.created_at
        elif not entering and start is not None:
            periods.append((start, record.created_at))
            start = None
    if not transitions and version_row.status in SCORED_STATUSES:
        # A status written without transitions (before the lifecycle existed).
        start = version_row.status_changed_at or version_row.created_at
    if start is not None and start <= until:
        periods.append((start, None))
    return periods


def bar_intervals_for(horizon: str) -> list[tuple[str, timedelta]]:
    """The bar intervals a horizon is a whole number of, coarsest first."""
    duration = Horizon(horizon).duration
    return [
        (name, length)
        for name, length in BAR_INTERVALS
        if length <= duration and duration % length == timedelta(0)
    ]


def _empty_record() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in RECORD_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["symbol"] = pd.Series(dtype=object)
    frame.attrs["horizon_bars"] = 1
    return frame


def _bars(
    symbols: list[str], interval: str, since: datetime, until: datetime
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows = Bar.objects.filter(
        asset__in=symbols, interval=interval, timestamp__gte=since, timestamp__lte=until
    ).values_list("asset", "timestamp", "close")
    frame = pd.DataFrame(list(rows), columns=["asset", "timestamp", "close"])
    if frame.empty:
        return {}
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    frame = frame.sort_values(["asset", "timestamp"], kind="stable")
    return {
        str(asset): (
            _epoch_nanoseconds(part["timestamp"]),
            part["close"].to_numpy(dtype=np.float64),
        )
        for asset, part in frame.groupby("asset", sort=False)
    }


def shadow_record(
    version_row: ModelVersion, *, until: datetime, interval: str | None = None
) -> pd.DataFrame:
    """The version's resolved shadow and live forecasts as a gate record (module docstring).

    Parameters
    ----------
    version_row
        The model version; its forecasts of its own ``horizon`` (all of them when the
        version has none) are scored.
    until
        Only forecasts made by then, and outcomes known by then, count.
    interval
        Bar interval (``1d``, ``1h``, ``1m``); by default the coarsest the horizon is a
        whole number of that has bars for the forecasts' assets.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (the forecast's time, UTC), ``symbol``, ``prediction``,
        ``confidence``, ``forward_return``, ``next_return``, sorted by time and symbol;
        ``attrs["horizon_bars"]`` is the horizon in bars and ``attrs["interval"]`` the
        interval used.
    """
    periods = scored_periods(version_row, until=until)
    if not periods:
        return _empty_record()
    window = Q()
    for begin, end in periods:
        window |= (
            Q(timestamp__gte=begin, timestamp__lte=until)
            if end is None
            else Q(timestamp__gte=begin, timestamp__lt=end)
        )
    forecasts = Forecast.objects.filter(window, model_version=version_row)
    if version_row.horizon:
        forecasts = forecasts.filter(horizon=version_row.horizon)
    rows = list(
        forecasts.order_by("timestamp", "asset", "id").values_list(
            "timestamp", "asset", "horizon", "prediction", "confidence"
        )
    )
    if not rows:
        return _empty_record()
    table = pd.DataFrame(rows, columns=["time", "symbol", "horizon", "prediction", "confidence"])
    table["time"] = pd.to_datetime(table["time"], utc=True)
    parts: list[pd.DataFrame] = []
    horizon_bars = 1
    chosen = interval
    for horizon, group in table.groupby("horizon", sort=True):
        scored, bars_per_horizon, used = _score(group, str(horizon), until, interval)
        if used is not None:
            horizon_bars = max(horizon_bars, bars_per_horizon)
            chosen = chosen or used
        parts.append(scored)
    record = pd.concat(parts, ignore_index=True) if parts else _empty_record()
    record = record[list(RECORD_COLUMNS)].sort_values(["time", "symbol"], kind="stable")
    record = record.reset_index(drop=True)
    record.attrs["horizon_bars"] = horizon_bars
    record.attrs["interval"] = chosen
    return record


def _score(
    group: pd.DataFrame, horizon: str, until: datetime, interval: str | None
) -> tuple[pd.DataFrame, int, str | None]:
    """Outcomes of one horizon's forecasts; also the horizon in bars and the interval used."""
    duration = Horizon(horizon).duration
    candidates = (
        [(name, length) for name, length in BAR_INTERVALS if name == interval]
        if interval
        else bar_intervals_for(horizon)
    )
    symbols = sorted(group["symbol"].unique())
    since = group["time"].min().to_pydatetime() - REFERENCE_MAX_AGE
    for name, length in candidates:
        bars = _bars(symbols, name, since, until)
        if not bars:
            continue
        frame = group.assign(forward_return=np.nan, next_return=np.nan).reset_index(drop=True)
        times = _epoch_nanoseconds(frame["time"])
        for symbol, (bar_times, closes) in bars.items():
            mask = (frame["symbol"] == symbol).to_numpy()
            if not mask.any():
                continue
            made = times[mask]
            base = np.searchsorted(bar_times, made, side="right") - 1
            target = np.searchsorted(bar_times, made + _nanoseconds(duration), side="left")
            after = base + 1
            usable = (
                (base >= 0)
                & (made - bar_times[np.maximum(base, 0)] <= _nanoseconds(REFERENCE_MAX_AGE))
                & (target < bar_times.size)
                & (after < bar_times.size)
            )
            forward = np.full(made.size, np.nan)
            following = np.full(made.size, np.nan)
            reference = closes[base[usable]]
            forward[usable] = closes[target[usable]] / reference - 1.0
            following[usable] = closes[after[usable]] / reference - 1.0
            frame.loc[mask, "forward_return"] = forward
            frame.loc[mask, "next_return"] = following
        resolved = frame.dropna(subset=["forward_return", "next_return"])
        return resolved, max(1, int(duration / length)), name
    return group.iloc[0:0].assign(forward_return=np.nan, next_return=np.nan), 1, None


def _nanoseconds(span: timedelta) -> int:
    return int(span / timedelta(microseconds=1)) * 1000


def _epoch_nanoseconds(times: pd.Series) -> np.ndarray:
    """UTC times as integer nanoseconds since the epoch."""
    naive = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).tz_localize(None).as_unit("ns")
    return naive.to_numpy(dtype="datetime64[ns]").view(np.int64)
