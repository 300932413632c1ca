"""API shape of market bars."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from rest_framework import serializers

from .models import Bar


class BarOutputSerializer(serializers.ModelSerializer[Bar]):
    class Meta:
        model = Bar
        fields = ("asset", "interval", "timestamp", "open", "high", "low", "close", "volume")


def bar_row_output(row: dict[str, Any]) -> dict[str, Any]:
    """The same JSON as :class:`BarOutputSerializer`, from a plain row (``bar_rows``)."""
    if "timestamp_text" in row:
        timestamp = row["timestamp_text"]
    else:
        timestamp = row["timestamp"].astimezone(UTC).isoformat().replace("+00:00", "Z")
    return {
        "asset": row["asset"],
        "interval": row["interval"],
        "timestamp": timestamp,
        "open": row["open"],
        "high": row["high"],
        "low": row["low"],
        "close": row["close"],
        "volume": row["volume"],
    }
