"""Writes of market bars: bulk and idempotent (a bar stored twice is one row, the newest values)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from .models import Bar

BAR_FIELDS = ("open", "high", "low", "close", "volume")
WRITE_BATCH_SIZE = 2000
ASSET_MAX_LENGTH = 40
INTERVAL_PATTERN = re.compile(r"^[1-9][0-9]{0,3}[mhd]$")


@dataclass(frozen=True)
class BarValues:
    """One OHLCV bar; ``timestamp`` is the bar's end time (timezone-aware)."""

    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float


def _bar_problem(bar: BarValues) -> str | None:
    if bar.timestamp.tzinfo is None or bar.timestamp.utcoffset() is None:
        return "timestamp must be timezone-aware"
    values = [getattr(bar, name) for name in BAR_FIELDS]
    if not all(isinstance(value, int | float) and math.isfinite(value) for value in values):
        return "open, high, low, close and volume must be finite numbers"
    if bar.low > min(bar.open, bar.close) or bar.high < max(bar.open, bar.close):
        return "low must be <= open and close, and high >= open and close"
    if bar.low <= 0:
        return "prices must be positive"
    if bar.volume < 0:
        return "volume must be >= 0"
    return None


def bars_store(*, asset: str, interval: str, bars: Iterable[BarValues], source: str = "") -> int:
    """Store bars of one asset and interval; return how many bars were written.

    Idempotent: a bar whose ``(asset, interval, timestamp)`` is already stored is
    overwritten with the new values, never duplicated (within one call, the last bar of
    a timestamp wins). The asset is stored upper-case. Every bar is checked before any
    is written, so bad input stores nothing.

    Parameters
    ----------
    asset
        Ticker, 1..40 characters.
    interval
        Bar size such as ``1m``, ``1h`` or ``1d``.
    bars
        The bars, stamped with their end time.
    source
        Where the bars come from (``lean``, a provider's name), kept on each row.

    Raises
    ------
    ValueError
        A bad asset or interval, or a bar that is not a valid OHLCV bar (its time and
        the rule it breaks are named).
    """
    asset = asset.strip().upper()
    if not asset or len(asset) > ASSET_MAX_LENGTH:
        raise ValueError(f"asset must be 1..{ASSET_MAX_LENGTH} characters, got {asset!r}")
    if not INTERVAL_PATTERN.match(interval):
        raise ValueError(f"interval must look like 1m, 1h or 1d, got {interval!r}")
    rows: dict[datetime, Bar] = {}
    for bar in bars:
        problem = _bar_problem(bar)
        if problem is not None:
            raise ValueError(f"bar of {asset} at {bar.timestamp.isoformat()}: {problem}")
        rows[bar.timestamp] = Bar(
            asset=asset,
            interval=interval,
            timestamp=bar.timestamp,
            open=float(bar.open),
            high=float(bar.high),
            low=float(bar.low),
            close=float(bar.close),
            volume=float(bar.volume),
            source=source[:40],
        )
    if not rows:
        return 0
    with transaction.atomic():
        Bar.objects.bulk_create(
            list(rows.values()),
            batch_size=WRITE_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=("asset", "interval", "timestamp"),
            update_fields=(*BAR_FIELDS, "source"),
        )
    return len(rows)
