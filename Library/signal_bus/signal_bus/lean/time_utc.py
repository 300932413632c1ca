"""Datetimes between LEAN and the cores: UTC in the cores, exchange time where LEAN wants it.

LEAN hands out ``utc_time`` as a UTC datetime and ``time`` and history indexes as naive
exchange or algorithm time; the cores take timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as a timezone-aware UTC datetime; naive values are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def to_exchange_time(moment: datetime, time_zone: str) -> datetime:
    """Return ``moment`` as naive wall-clock time in ``time_zone`` (an IANA name).

    Python.NET turns a Python datetime into a .NET ``DateTime`` from its wall-clock fields
    and ignores any UTC offset (pythonnet ``src/runtime/Converter.cs``, ``ToManagedValue``
    for ``DateTime``), so a time LEAN reads as exchange-local must be converted first.
    """
    return as_utc(moment).astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
