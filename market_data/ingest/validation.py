"""Check fetched bars before storage: refuse the bad ones with a reason, keep the rest.

Each refused bar carries one machine-readable :class:`RefusalReason` (the first check it
fails, in the order of the enum) and a message for people. The accepted bars are in the
:func:`market_data.lean.read_bars` trade shape, ``end_time`` recomputed by LEAN's rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import numpy as np
import numpy.typing as npt
import pandas as pd

from market_data.ingest.times import data_now, end_times, on_grid
from market_data.lean_format.columns import END_TIME_COLUMN, INDEX_NAME, TRADE_COLUMNS
from market_data.lean_format.layout import SeriesKey
from market_data.lean_format.timing import DATA_TIME_ZONES

PRICE_COLUMNS = ("open", "high", "low", "close")


class RefusalReason(StrEnum):
    """Why a bar was not stored (checked in this order; a bar gets the first that applies)."""

    MISSING_FIELD = "missing_field"
    """The time or one of open, high, low, close, volume is missing (absent or NaN)."""
    BAD_PRICE = "bad_price"
    """A price is infinite, zero or negative."""
    NEGATIVE_VOLUME = "negative_volume"
    """The volume is negative or infinite."""
    INCONSISTENT_RANGE = "inconsistent_range"
    """High below low, or open or close outside ``[low, high]``."""
    OFF_GRID = "off_grid"
    """The time is not a bar start of the resolution (daily bars start at midnight)."""
    NOT_CLOSED = "not_closed"
    """The bar ends after now: it is still forming."""
    DUPLICATE_TIME = "duplicate_time"
    """Another bar has the same time (identical copies keep one; conflicting ones keep none)."""


_REASONS: tuple[RefusalReason, ...] = tuple(RefusalReason)
_ACCEPTED = -1


@dataclass(frozen=True)
class RefusedBar:
    """A bar that was not stored.

    Parameters
    ----------
    time
        Its start time as sent (naive data time; None when that is what is missing).
    reason
        Machine-readable cause.
    message
        The cause for people, with the offending values.
    values
        The bar's open, high, low, close and volume as received (NaN when absent).
    """

    time: pd.Timestamp | None
    reason: RefusalReason
    message: str
    values: Mapping[str, float]


@dataclass(frozen=True)
class ValidationResult:
    """Bars split into accepted and refused.

    Parameters
    ----------
    accepted
        Valid bars: index ``time``, float64 ``open, high, low, close, volume``, ``end_time``.
    refused
        The others, in input order.
    """

    accepted: pd.DataFrame
    refused: tuple[RefusedBar, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Refused bars per reason code (only reasons that occurred)."""
        return dict(Counter(bar.reason.value for bar in self.refused))


def validate_bars(bars: pd.DataFrame, series: SeriesKey, *, now: datetime) -> ValidationResult:
    """Split a batch of trade bars of ``series`` into accepted and refused bars.

    Parameters
    ----------
    bars
        Frame indexed by bar start time (naive data time, or aware and converted) with
        ``open, high, low, close, volume``; other columns are ignored.
    series
        The series the bars belong to (its security type and resolution set the grid).
    now
        Current time, time-zone aware; bars ending after it are refused as not closed.

    Returns
    -------
    ValidationResult
        Accepted bars sorted by time, and the refused ones with their reasons.
    """
    if series.bar_type != "trade":
        raise ValueError("validate_bars checks trade bars; quote bars are not ingested")
    if not isinstance(bars.index, pd.DatetimeIndex):
        raise ValueError(f"bars need a DatetimeIndex of start times; got {type(bars.index)}")
    times = bars.index
    if times.tz is not None:
        times = times.tz_convert(DATA_TIME_ZONES[series.security_type]).tz_localize(None)
    times = pd.DatetimeIndex(times).as_unit("ns")
    values = _numeric_columns(bars)
    array = values.to_numpy(dtype=np.float64)
    prices, volume = array[:, :4], array[:, 4]
    reasons = np.full(len(bars), _ACCEPTED, dtype=np.int64)
    for code, mask in enumerate(_ordered_checks(times, prices, volume, series, now)):
        reasons[(reasons == _ACCEPTED) & mask] = code
    _mark_duplicates(times, array, reasons)
    no_time = np.asarray(times.isna())
    refused = tuple(
        _refused(None if no_time[i] else times[i], _REASONS[reasons[i]], array[i], series)
        for i in np.flatnonzero(reasons != _ACCEPTED)
    )
    keep = reasons == _ACCEPTED
    accepted = pd.DataFrame(
        array[keep],
        columns=list(TRADE_COLUMNS),
        index=pd.DatetimeIndex(times[keep], name=INDEX_NAME),
    ).sort_index(kind="stable")
    accepted[END_TIME_COLUMN] = end_times(pd.DatetimeIndex(accepted.index), series)
    return ValidationResult(accepted=accepted, refused=refused)


def _numeric_columns(bars: pd.DataFrame) -> pd.DataFrame:
    """The five value columns as float64; absent columns and unreadable values are NaN."""
    columns = {}
    for name in TRADE_COLUMNS:
        if name in bars.columns:
            columns[name] = pd.to_numeric(bars[name], errors="coerce").astype(np.float64)
        else:
            columns[name] = pd.Series(np.nan, index=bars.index, dtype=np.float64)
    return pd.DataFrame(columns, index=bars.index)


def _ordered_checks(
    times: pd.DatetimeIndex,
    prices: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    series: SeriesKey,
    now: datetime,
) -> list[npt.NDArray[np.bool_]]:
    """One mask per reason, in :data:`_REASONS` order (duplicates are marked later)."""
    missing = np.asarray(times.isna()) | np.isnan(prices).any(axis=1) | np.isnan(volume)
    with np.errstate(invalid="ignore"):
        bad_price = (~np.isfinite(prices) | (prices <= 0)).any(axis=1)
        negative_volume = ~np.isfinite(volume) | (volume < 0)
        open_, high, low, close = prices.T
        inconsistent = (
            (high < low) | (open_ < low) | (open_ > high) | (close < low) | (close > high)
        )
    known = pd.DatetimeIndex(times.fillna(pd.Timestamp(0)))
    off_grid = ~on_grid(known, series).to_numpy()
    ends = end_times(known, series)
    not_closed = np.asarray(ends > data_now(now, series))
    return [missing, bad_price, negative_volume, inconsistent, off_grid, not_closed]


def _mark_duplicates(
    times: pd.DatetimeIndex, array: npt.NDArray[np.float64], reasons: npt.NDArray[np.int64]
) -> None:
    """Among bars still accepted, keep one of identical copies and none of conflicting ones."""
    candidates = np.flatnonzero(reasons == _ACCEPTED)
    if len(candidates) < 2:
        return
    stamps = times.to_numpy(dtype="datetime64[ns]")[candidates].view(np.int64)
    order = np.argsort(stamps, kind="stable")
    sorted_stamps = stamps[order]
    repeated = sorted_stamps[1:] == sorted_stamps[:-1]
    if not repeated.any():
        return  # the usual case: one bar per time, no Python loop
    duplicate = _REASONS.index(RefusalReason.DUPLICATE_TIME)
    for stamp in np.unique(sorted_stamps[1:][repeated]):
        positions = candidates[order[sorted_stamps == stamp]]
        first = array[positions[0]]
        identical = all(np.array_equal(array[p], first) for p in positions[1:])
        reasons[positions[1:] if identical else positions] = duplicate


def _refused(
    time: pd.Timestamp | None,
    reason: RefusalReason,
    row: npt.NDArray[np.float64],
    series: SeriesKey,
) -> RefusedBar:
    values = dict(zip(TRADE_COLUMNS, (float(v) for v in row), strict=True))
    return RefusedBar(
        time=time, reason=reason, message=_message(time, reason, values, series), values=values
    )


def _message(
    time: pd.Timestamp | None, reason: RefusalReason, values: dict[str, float], series: SeriesKey
) -> str:
    where = f"{series.symbol} {series.resolution} bar at {time}"
    prices = ", ".join(f"{name} {values[name]:g}" for name in PRICE_COLUMNS)
    if reason is RefusalReason.MISSING_FIELD:
        absent = [name for name, value in values.items() if np.isnan(value)]
        if time is None:
            absent.insert(0, "time")
        return f"{where} lacks {', '.join(absent)}"
    if reason is RefusalReason.BAD_PRICE:
        return f"{where} has a price that is not a positive finite number ({prices})"
    if reason is RefusalReason.NEGATIVE_VOLUME:
        return f"{where} has volume {values['volume']:g} (must be a finite number, not negative)"
    if reason is RefusalReason.INCONSISTENT_RANGE:
        return f"{where} is inconsistent: open and close must lie within [low, high] ({prices})"
    if reason is RefusalReason.OFF_GRID:
        detail = " (daily bars start at midnight)" if series.resolution == "daily" else ""
        return f"{where} does not start on a {series.resolution} boundary{detail}"
    if reason is RefusalReason.NOT_CLOSED:
        closes = end_times(pd.DatetimeIndex([time]), series)[0]
        return f"{where} is still forming (it closes at {closes})"
    return f"{where} appears more than once with different values, or is an extra copy"
