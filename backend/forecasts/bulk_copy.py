"""Bulk-load forecasts with PostgreSQL's binary ``COPY`` (benchmarks, large back-fills).

This bypasses idempotency and signals: use it for empty tables or known-new rows only.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

POSTGRES_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
COPY_COLUMNS = (
    "message_id", "asset", "horizon", "prediction", "confidence", "timestamp", "ts_init", "model",
    "model_version_id", "interval_low", "interval_high", "received_at",
)  # fmt: skip
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack(">i", len(data)) + data


def _float(value: float | None) -> bytes:
    return _NULL if value is None else struct.pack(">id", 8, value)


def _bigint(value: int | None) -> bytes:
    return _NULL if value is None else struct.pack(">iq", 8, value)


def _timestamp(value: datetime | None) -> bytes:
    if value is None:
        return _NULL
    delta = value - POSTGRES_EPOCH
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return struct.pack(">iq", 8, microseconds)


def forecast_rows_encode(rows: Iterable[dict[str, Any]], *, received_at: datetime) -> bytes:
    """Encode forecast rows (dicts with the model's field names) in PostgreSQL binary COPY format."""
    buffer = io.BytesIO()
    buffer.write(_HEADER)
    field_count = struct.pack(">h", len(COPY_COLUMNS))
    received = _timestamp(received_at)
    for row in rows:
        buffer.write(field_count)
        buffer.write(_text(row["message_id"]))
        buffer.write(_text(row["asset"]))
        buffer.write(_text(row["horizon"]))
        buffer.write(_float(row["prediction"]))
        buffer.write(_float(row["confidence"]))
        buffer.write(_timestamp(row["timestamp"]))
        buffer.write(_timestamp(row.get("ts_init")))
        buffer.write(_text(row.get("model", "")))
        buffer.write(_bigint(row.get("model_version_id")))
        buffer.write(_float(row.get("interval_low")))
        buffer.write(_float(row.get("interval_high")))
        buffer.write(received)
    buffer.write(_TRAILER)
    return buffer.getvalue()


def forecast_rows_copy(
    *, cursor: Any, rows: Iterable[dict[str, Any]], received_at: datetime
) -> None:
    """``COPY forecasts_forecast FROM STDIN (FORMAT binary)`` through a psycopg2 cursor."""
    columns = ", ".join(f'"{name}"' for name in COPY_COLUMNS)
    payload = io.BytesIO(forecast_rows_encode(rows, received_at=received_at))
    cursor.copy_expert(
        f"COPY forecasts_forecast ({columns}) FROM STDIN WITH (FORMAT binary)", payload
    )


SIGNAL_COPY_COLUMNS = (
    "forecast_message_id", "asset", "horizon", "timestamp", "direction", "confidence", "strength",
    "active", "entry_threshold",
)  # fmt: skip


def _smallint(value: int) -> bytes:
    return struct.pack(">ih", 2, value)


def _boolean(value: bool) -> bytes:
    return struct.pack(">ib", 1, 1 if value else 0)


def signal_rows_encode(rows: Iterable[dict[str, Any]]) -> bytes:
    """Encode signal rows (dicts with the model's field names) in PostgreSQL binary COPY format."""
    buffer = io.BytesIO()
    buffer.write(_HEADER)
    field_count = struct.pack(">h", len(SIGNAL_COPY_COLUMNS))
    for row in rows:
        buffer.write(field_count)
        buffer.write(_text(row["forecast_message_id"]))
        buffer.write(_text(row["asset"]))
        buffer.write(_text(row["horizon"]))
        buffer.write(_timestamp(row["timestamp"]))
        buffer.write(_smallint(row["direction"]))
        buffer.write(_float(row["confidence"]))
        buffer.write(_float(row["strength"]))
        buffer.write(_boolean(row["active"]))
        buffer.write(_float(row["entry_threshold"]))
    buffer.write(_TRAILER)
    return buffer.getvalue()
