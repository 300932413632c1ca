"""Reads of market bars."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from backend.forecasts.selectors import IsoTimestampText

from .models import Bar

BAR_ROW_FIELDS = ("id", "asset", "interval", "timestamp", "open", "high", "low", "close", "volume")


def bar_list() -> QuerySet[Bar]:
    """Every bar (filter and paginate in the caller)."""
    return Bar.objects.all()


def bar_rows() -> QuerySet[Bar, dict[str, Any]]:
    """Bars as plain rows (no model instances), for large pages.

    On PostgreSQL the timestamp also comes as ready-made text (``timestamp_text``).
    """
    if connection.vendor != "postgresql":
        return Bar.objects.values(*BAR_ROW_FIELDS)
    return Bar.objects.annotate(timestamp_text=IsoTimestampText("timestamp")).values(
        *BAR_ROW_FIELDS, "timestamp_text"
    )
