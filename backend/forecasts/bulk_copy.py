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
    "model_version_id", "interval_low", "interval_high", "received_at", "tradable",
)  # fmt: skip
_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_TRAILER = struct.pack(">h", -1)
_NULL = struct.pack(">i", -1)
_TRUE = struct.pack(">ib", 1, 1)
_FALSE = struct.pack(">ib", 1, 0)


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


_FORECAST_FIELD_COUNT = struct.pack(">h", len(COPY_COLUMNS))
_NUMBERS_AND_TIME = struct.Struct(">ididiq")  # prediction, confidence, timestamp with lengths


def _optional_timestamp(value: datetime | None) -> bytes:
    return _NULL if value is None else _timestamp(value)


def _microseconds(value: datetime) -> int:
    delta = value - POSTGRES_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def forecast_rows_encode(rows: Iterable[dict[str, Any]], *, received_at: datetime) -> bytes:
    """Encode forecast rows (dicts with the model's field names) in PostgreSQL binary COPY format.

    A row without ``tradable`` is tradable, as a message without the field is.
    """
    parts: list[bytes] = [_HEADER]
    append = parts.append
    received = _timestamp(received_at)
    pack_numbers = _NUMBERS_AND_TIME.pack
    for row in rows:
        append(_FORECAST_FIELD_COUNT)
        append(_text(row["message_id"]))
        append(_text(row["asset"]))
        append(_text(row["horizon"]))
        append(
            pack_numbers(
                8, row["prediction"], 8, row["confidence"], 8, _microseconds(row["timestamp"])
            )
        )
        append(_optional_timestamp(row.get("ts_init")))
        append(_text(row.get("model", "")))
        append(_bigint(row.get("model_version_id")))
        append(_float(row.get("interval_low")))
        append(_float(row.get("interval_high")))
        append(received)
        append(_TRUE if row.get("tradable", True) else _FALSE)
    append(_TRAILER)
    return b"".join(parts)


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


_SIGNAL_FIELD_COUNT = struct.pack(">h", len(SIGNAL_COPY_COLUMNS))
_SIGNAL_NUMBERS = struct.Struct(">iqihididibid")  # timestamp .. entry_threshold with lengths


def signal_rows_encode(rows: Iterable[dict[str, Any]]) -> bytes:
    """Encode signal rows (dicts with the model's field names) in PostgreSQL binary COPY format."""
    parts: list[bytes] = [_HEADER]
    append = parts.append
    pack_numbers = _SIGNAL_NUMBERS.pack
    for row in rows:
        append(_SIGNAL_FIELD_COUNT)
        append(_text(row["forecast_message_id"]))
        append(_text(row["asset"]))
        append(_text(row["horizon"]))
        append(
            pack_numbers(
                8, _microseconds(row["timestamp"]), 2, row["direction"], 8, row["confidence"],
                8, row["strength"], 1, 1 if row["active"] else 0, 8, row["entry_threshold"],
            )
        )  # fmt: skip
    append(_TRAILER)
    return b"".join(parts)


def forecast_messages_encode(
    messages: Iterable[Any],
    *,
    version_ids: dict[str, int | None],
    received_at: datetime,
    entry_threshold: float,
    min_magnitude: float,
) -> tuple[bytes, bytes]:
    """Encode forecast messages and their signals for ``COPY`` in one pass (the recorder's hot path).

    The signal follows ``signals_rule.signal_from_forecast``, inlined here for speed; the tests
    compare both paths.
    """
    forecast_parts: list[bytes] = [_HEADER]
    signal_parts: list[bytes] = [_HEADER]
    add_forecast = forecast_parts.append
    add_signal = signal_parts.append
    received = _timestamp(received_at)
    pack_numbers = _NUMBERS_AND_TIME.pack
    pack_signal = _SIGNAL_NUMBERS.pack
    for message in messages:
        message_id = _text(message.id)
        asset = _text(message.asset)
        horizon = _text(message.horizon)
        prediction = message.prediction
        confidence = message.confidence
        moment = _microseconds(message.ts_event)
        add_forecast(_FORECAST_FIELD_COUNT)
        add_forecast(message_id)
        add_forecast(asset)
        add_forecast(horizon)
        add_forecast(pack_numbers(8, prediction, 8, confidence, 8, moment))
        add_forecast(_optional_timestamp(message.ts_init))
        add_forecast(_text(message.model))
        add_forecast(_bigint(version_ids.get(message.id)))
        add_forecast(_float(message.interval_low))
        add_forecast(_float(message.interval_high))
        add_forecast(received)
        add_forecast(_TRUE if message.tradable else _FALSE)
        if prediction == 0.0 or abs(prediction) <= min_magnitude:
            direction = 0
        else:
            direction = 1 if prediction > 0 else -1
        active = message.tradable and direction != 0 and confidence >= entry_threshold
        add_signal(_SIGNAL_FIELD_COUNT)
        add_signal(message_id)
        add_signal(asset)
        add_signal(horizon)
        add_signal(
            pack_signal(
                8, moment, 2, direction, 8, confidence, 8, direction * confidence,
                1, 1 if active else 0, 8, entry_threshold,
            )
        )  # fmt: skip
    add_forecast(_TRAILER)
    add_signal(_TRAILER)
    return b"".join(forecast_parts), b"".join(signal_parts)
