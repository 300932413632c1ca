"""Limits every value must meet before it reaches the database: text and time range."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .exceptions import InvalidInput

# Times outside this range are refused: PostgreSQL would store them, but a year beyond
# 9999 or before 1 once converted to UTC cannot be read back into Python.
TIME_MIN = datetime(1900, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(2200, 1, 1, tzinfo=UTC)

# NUL cannot be stored in PostgreSQL text or jsonb; a lone surrogate is not Unicode text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or ``None`` when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000), which cannot be stored"
    return (
        f"contains a lone surrogate (\\u{ord(found.group()):04x}), which is not valid Unicode text"
    )


def timestamp_range_check(*, value: datetime, field: str) -> datetime:
    """Return ``value`` in UTC; raise :class:`InvalidInput` (rule ``range``) outside the range."""
    try:
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not TIME_MIN <= moment < TIME_MAX:
        raise InvalidInput(
            field=field,
            rule="range",
            message=(
                f"must lie between {TIME_MIN:%Y-%m-%d} and {TIME_MAX:%Y-%m-%d} UTC, "
                f"got {value.isoformat()}"
            ),
        )
    return moment
