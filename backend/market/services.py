"""Writes of market bars (bulk and idempotent: a bar stored twice is one row, the newest values)
and of the feeds' settings (validated, audited, their beat entries kept in step)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import transaction

from backend.audit.services import audit_event_append
from backend.common.exceptions import InvalidInput
from market_data.lean import LeanDataError
from market_data.providers.exchange import ExchangeClientConfig

from .models import Bar, Feed
from .schedule import feed_schedule_sync
from .series import series_key

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
    start: datetime | None = None


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


def bars_store(
    *,
    asset: str,
    interval: str,
    bars: Iterable[BarValues],
    source: str = "",
    security_type: str = "",
    market: str = "",
) -> int:
    """Store bars of one asset and interval; return how many bars were written.

    Idempotent: a bar whose ``(security_type, market, asset, interval, timestamp)`` is
    already stored is
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
    security_type, market
        The LEAN series the bars belong to (empty when unknown).

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
            security_type=security_type,
            market=market,
            asset=asset,
            interval=interval,
            timestamp=bar.timestamp,
            open=float(bar.open),
            high=float(bar.high),
            low=float(bar.low),
            close=float(bar.close),
            volume=float(bar.volume),
            start=bar.start,
            source=source[:40],
        )
    if not rows:
        return 0
    with transaction.atomic():
        Bar.objects.bulk_create(
            list(rows.values()),
            batch_size=WRITE_BATCH_SIZE,
            update_conflicts=True,
            unique_fields=("security_type", "market", "asset", "interval", "timestamp"),
            update_fields=(*BAR_FIELDS, "start", "source"),
        )
    return len(rows)


# ---------------------------------------------------------------- feeds

FEED_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FEED_SOURCES = ("ccxt", "polygon")
FEED_RESOLUTIONS = ("daily", "hour", "minute")
EARLIEST_START = date(1990, 1, 1)
MAX_OVERLAP = 1000
MAX_FAILURE_THRESHOLD = 100
MAX_SYMBOLS = 500
FEED_FIELDS = (
    "name",
    "source",
    "exchange",
    "symbols",
    "resolution",
    "start",
    "overlap",
    "enabled",
    "failure_threshold",
)


def _feed_symbols(symbols: Any, *, source: str, exchange: str, resolution: str) -> list[str]:
    if not isinstance(symbols, list | tuple) or not symbols:
        raise InvalidInput(field="symbols", rule="empty", message="give at least one symbol")
    if len(symbols) > MAX_SYMBOLS:
        raise InvalidInput(
            field="symbols", rule="max_length", message=f"at most {MAX_SYMBOLS} symbols per feed"
        )
    names: list[str] = []
    for index, symbol in enumerate(symbols):
        text = str(symbol).strip().upper()
        field = f"symbols[{index}]"
        try:
            if not text or len(text) > ASSET_MAX_LENGTH:
                raise LeanDataError("empty or too long")
            series_key(source=source, exchange=exchange, symbol=text, resolution=resolution)
        except LeanDataError:
            raise InvalidInput(
                field=field,
                rule="symbol",
                message=(
                    f"{str(symbol)[:50]!r} is not a LEAN ticker: 1..{ASSET_MAX_LENGTH} letters,"
                    " digits, '.', '_' or '-' (the exchange's market id, e.g. BTCUSDT)"
                ),
            ) from None
        if text in names:
            raise InvalidInput(field=field, rule="duplicate", message=f"{text} is listed twice")
        names.append(text)
    return names


def _known_exchange(exchange: str) -> bool:
    try:
        ExchangeClientConfig(exchange_id=exchange)
    except ValueError:
        return False
    return True


def _feed_checked(values: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Domain rules of a feed's settings; raises InvalidInput naming the field and rule."""
    name = str(values.get("name", ""))
    if not FEED_NAME_PATTERN.match(name):
        raise InvalidInput(
            field="name",
            rule="pattern",
            message="1..64 lower-case letters, digits, '-' or '_', starting with a letter or digit",
        )
    source = values.get("source")
    if source not in FEED_SOURCES:
        raise InvalidInput(
            field="source", rule="invalid_choice", message=f"one of {', '.join(FEED_SOURCES)}"
        )
    exchange = str(values.get("exchange") or "").strip().lower()
    if source == "ccxt" and not exchange:
        raise InvalidInput(
            field="exchange", rule="required", message="a CCXT exchange id, e.g. binance"
        )
    if source == "ccxt" and not _known_exchange(exchange):
        raise InvalidInput(
            field="exchange",
            rule="unknown_exchange",
            message=f"{exchange[:40]!r} is not a CCXT exchange id (e.g. binance, kraken, coinbase)",
        )
    if source == "polygon" and exchange:
        raise InvalidInput(
            field="exchange",
            rule="not_allowed",
            message="polygon feeds are US equity (market usa); leave exchange empty",
        )
    resolution = values.get("resolution")
    if resolution not in FEED_RESOLUTIONS:
        raise InvalidInput(
            field="resolution",
            rule="invalid_choice",
            message=f"one of {', '.join(FEED_RESOLUTIONS)}",
        )
    start = values.get("start")
    if not isinstance(start, date) or isinstance(start, datetime):
        raise InvalidInput(field="start", rule="invalid", message="a date, YYYY-MM-DD")
    if start > today:
        raise InvalidInput(
            field="start", rule="future", message=f"{start} is after today ({today})"
        )
    if start < EARLIEST_START:
        raise InvalidInput(
            field="start", rule="range", message=f"must be {EARLIEST_START} or later"
        )
    overlap = values.get("overlap", 3)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or not 0 <= overlap <= MAX_OVERLAP:
        raise InvalidInput(
            field="overlap", rule="range", message=f"an integer from 0 to {MAX_OVERLAP}"
        )
    threshold = values.get("failure_threshold", 3)
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not 1 <= threshold <= MAX_FAILURE_THRESHOLD
    ):
        raise InvalidInput(
            field="failure_threshold",
            rule="range",
            message=f"an integer from 1 to {MAX_FAILURE_THRESHOLD}",
        )
    return {
        "name": name,
        "source": source,
        "exchange": exchange,
        "symbols": _feed_symbols(
            values.get("symbols"), source=source, exchange=exchange or "usa", resolution=resolution
        ),
        "resolution": resolution,
        "start": start,
        "overlap": overlap,
        "enabled": bool(values.get("enabled", True)),
        "failure_threshold": threshold,
    }


def _feed_document(feed: Feed) -> dict[str, Any]:
    return {
        name: (getattr(feed, name).isoformat() if name == "start" else getattr(feed, name))
        for name in FEED_FIELDS
    }


def feed_create(*, actor: str, values: dict[str, Any], today: date | None = None) -> Feed:
    """Create a feed and its beat entry (audited); raises InvalidInput on a broken rule."""
    checked = _feed_checked(values, today=today or datetime.now(UTC).date())
    with transaction.atomic():
        if Feed.objects.filter(name=checked["name"]).exists():
            raise InvalidInput(
                field="name", rule="unique", message=f"a feed named {checked['name']} exists"
            )
        feed = Feed.objects.create(**checked)
        feed_schedule_sync(
            name=feed.name, source=feed.source, resolution=feed.resolution, enabled=feed.enabled
        )
        audit_event_append(
            actor=actor, action="feed_created", target=feed.name, payload=_feed_document(feed)
        )
    return feed


def feed_update(
    *, feed: Feed, actor: str, changes: dict[str, Any], today: date | None = None
) -> Feed:
    """Change a feed's settings and its beat entry (audited); the name cannot change."""
    if "name" in changes and changes["name"] != feed.name:
        raise InvalidInput(
            field="name", rule="read_only", message="a feed keeps its name; create another feed"
        )
    merged = _feed_document(feed) | changes
    merged["start"] = changes.get("start", feed.start)
    checked = _feed_checked(merged, today=today or datetime.now(UTC).date())
    before = _feed_document(feed)
    with transaction.atomic():
        for name, value in checked.items():
            setattr(feed, name, value)
        feed.save(update_fields=(*FEED_FIELDS[1:], "updated_at"))
        feed_schedule_sync(
            name=feed.name, source=feed.source, resolution=feed.resolution, enabled=feed.enabled
        )
        after = _feed_document(feed)
        audit_event_append(
            actor=actor,
            action="feed_changed",
            target=feed.name,
            payload={
                name: {"from": before[name], "to": after[name]}
                for name in FEED_FIELDS
                if before[name] != after[name]
            },
        )
    return feed
