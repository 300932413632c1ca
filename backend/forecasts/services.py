"""Writes: store forecasts (idempotently), derive their signals, register model versions.

A forecast keeps its message's ``tradable`` flag (false: published by a version that is not
live; stored so that its shadow record accrues, never traded). Lifecycle changes of model
versions are in ``lifecycle``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg2
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from backend.recorder.receipts import (
    IngestOutcome,
    message_receipts_register,
    receipts_outcome,
)
from backend.strategy.selectors import strategy_parameter_values
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.messages import ForecastUpdate

from .bulk_copy import COPY_COLUMNS, SIGNAL_COPY_COLUMNS, forecast_messages_encode
from .lifecycle import register_version
from .models import Forecast, ModelVersion, Signal
from .signals_rule import signal_from_forecast


def model_version_resolve(
    *,
    model: str,
    version: str,
    horizon: str = "",
    cache: dict[tuple[str, str], ModelVersion] | None = None,
) -> ModelVersion | None:
    """Return the model version row for ``(model, version)``, registering it on first sight.

    A version first seen in a forecast is a ``candidate`` of that forecast's horizon (and
    no asset group): :func:`~backend.forecasts.lifecycle.register_version`.
    """
    if not model or not version:
        return None
    key = (model, version)
    if cache is not None and key in cache:
        return cache[key]
    row = register_version(model, version, asset_group="", horizon=horizon)
    if cache is not None:
        cache[key] = row
    return row


def forecast_messages_store(*, messages: Sequence[ForecastUpdate]) -> int:
    """Store forecasts and their signals; a message already stored is skipped. Returns the count given."""
    return forecast_messages_ingest(messages=messages).received


def forecast_messages_ingest(
    *, messages: Sequence[ForecastUpdate], refuse_conflicts: bool = False
) -> IngestOutcome:
    """Store forecasts and their signals, each message id once whatever its timestamp.

    The ids are registered first (:func:`message_receipts_register`, same transaction): an
    identical resend is counted as a duplicate, another message under a stored id as a
    conflict, and neither is stored (with ``refuse_conflicts`` a conflict raises
    :class:`MessageConflict` and nothing of the batch is stored). On PostgreSQL the new messages are copied (binary
    ``COPY``) straight into the tables, or, when some rows are stored already, through
    temporary tables and ``INSERT ... ON CONFLICT DO NOTHING``; elsewhere through the ORM.
    """
    if not messages:
        return IngestOutcome(received=0, stored=0, duplicates=0)
    with transaction.atomic():
        receipts = message_receipts_register(channel=FORECAST_UPDATES, messages=messages)
        outcome = receipts_outcome(
            received=len(messages), receipts=receipts, refuse_conflicts=refuse_conflicts
        )
        _forecasts_store(messages=receipts.new)
    return outcome


def _forecasts_store(*, messages: Sequence[ForecastUpdate]) -> None:
    if not messages:
        return
    parameters = strategy_parameter_values(keys=("entry_confidence", "min_prediction_magnitude"))
    entry_threshold = float(parameters["entry_confidence"])
    min_magnitude = float(parameters["min_prediction_magnitude"])
    versions: dict[tuple[str, str], ModelVersion] = {}
    with transaction.atomic():
        # Resolved once per distinct (model, version) of the batch, in order of first sight.
        pair_ids: dict[tuple[str, str], int | None] = {}
        first_horizons: dict[tuple[str, str], str] = {}
        for message in messages:
            first_horizons.setdefault((message.model, message.model_version), message.horizon)
        for pair, horizon in first_horizons.items():
            row = model_version_resolve(
                model=pair[0], version=pair[1], horizon=horizon, cache=versions
            )
            pair_ids[pair] = row.pk if row is not None else None
        version_ids = {
            message.id: pair_ids[(message.model, message.model_version)] for message in messages
        }
        if connection.vendor == "postgresql":
            _store_with_copy(
                messages=messages,
                version_ids=version_ids,
                entry_threshold=entry_threshold,
                min_magnitude=min_magnitude,
            )
        else:
            _store_with_orm(
                messages=messages,
                version_ids=version_ids,
                entry_threshold=entry_threshold,
                min_magnitude=min_magnitude,
            )
        if versions:
            _order_lineage_backfill(
                message_ids=[message.id for message in messages if message.model_version]
            )


_INCOMING_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS forecast_incoming (
    message_id varchar(64), asset varchar(40), horizon varchar(10), prediction double precision,
    confidence double precision, "timestamp" timestamptz, ts_init timestamptz, model varchar(100),
    model_version_id bigint, interval_low double precision, interval_high double precision,
    received_at timestamptz, tradable boolean
) ON COMMIT DELETE ROWS
"""
_INCOMING_SIGNALS_TABLE = """
CREATE TEMPORARY TABLE IF NOT EXISTS signal_incoming (
    forecast_message_id varchar(64), asset varchar(40), horizon varchar(10), "timestamp" timestamptz,
    direction smallint, confidence double precision, strength double precision, active boolean,
    entry_threshold double precision
) ON COMMIT DELETE ROWS
"""
_COLUMNS = ", ".join(f'"{name}"' for name in COPY_COLUMNS)
_SIGNAL_COLUMNS = ", ".join(f'"{name}"' for name in SIGNAL_COPY_COLUMNS)


def _copy(cursor: Any, table: str, columns: str, payload: bytes) -> None:
    # One read of the whole payload rather than psycopg2's default 8 KiB chunks.
    cursor.copy_expert(
        f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)",
        io.BytesIO(payload),
        size=max(8192, len(payload)),
    )


def _store_with_copy(
    *,
    messages: Sequence[ForecastUpdate],
    version_ids: dict[str, int | None],
    entry_threshold: float,
    min_magnitude: float,
) -> None:
    """COPY straight into the tables; if a row is already there, COPY into temporary tables and
    insert with ``ON CONFLICT DO NOTHING`` instead (replays are rare: after a crash or a retry)."""
    forecasts, signals = forecast_messages_encode(
        messages,
        version_ids=version_ids,
        received_at=datetime.now(UTC),
        entry_threshold=entry_threshold,
        min_magnitude=min_magnitude,
    )
    batch_ids = [message.id for message in messages]
    unique_in_batch = len(set(batch_ids)) == len(batch_ids)
    if unique_in_batch:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy(cursor.cursor, "forecasts_forecast", _COLUMNS, forecasts)
                _copy(cursor.cursor, "forecasts_signal", _SIGNAL_COLUMNS, signals)
            return
        except psycopg2.IntegrityError:
            pass  # some rows are stored already: fall through to the idempotent path
    with connection.cursor() as cursor:
        cursor.execute(_INCOMING_TABLE)
        cursor.execute(_INCOMING_SIGNALS_TABLE)
        _copy(cursor.cursor, "forecast_incoming", _COLUMNS, forecasts)
        _copy(cursor.cursor, "signal_incoming", _SIGNAL_COLUMNS, signals)
        cursor.execute(
            f"INSERT INTO forecasts_forecast ({_COLUMNS}) SELECT {_COLUMNS} FROM forecast_incoming "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(
            f"INSERT INTO forecasts_signal ({_SIGNAL_COLUMNS}) SELECT {_SIGNAL_COLUMNS} FROM signal_incoming "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute("TRUNCATE forecast_incoming, signal_incoming")


def _store_with_orm(
    *,
    messages: Sequence[ForecastUpdate],
    version_ids: dict[str, int | None],
    entry_threshold: float,
    min_magnitude: float,
) -> None:
    forecasts: list[Forecast] = []
    signals: list[Signal] = []
    for message in messages:
        forecasts.append(
            Forecast(
                message_id=message.id,
                asset=message.asset,
                horizon=message.horizon,
                prediction=message.prediction,
                confidence=message.confidence,
                timestamp=message.ts_event,
                ts_init=message.ts_init,
                model=message.model,
                model_version_id=version_ids[message.id],
                interval_low=message.interval_low,
                interval_high=message.interval_high,
                tradable=message.tradable,
            )
        )
        values = signal_from_forecast(
            prediction=message.prediction,
            confidence=message.confidence,
            entry_threshold=entry_threshold,
            min_magnitude=min_magnitude,
            tradable=message.tradable,
        )
        signals.append(
            Signal(
                forecast_message_id=message.id,
                asset=message.asset,
                horizon=message.horizon,
                timestamp=message.ts_event,
                direction=values.direction,
                confidence=message.confidence,
                strength=values.strength,
                active=values.active,
                entry_threshold=entry_threshold,
            )
        )
    Forecast.objects.bulk_create(forecasts, ignore_conflicts=True, batch_size=1000)
    Signal.objects.bulk_create(signals, ignore_conflicts=True, batch_size=1000)


def _order_lineage_backfill(*, message_ids: Sequence[str]) -> int:
    """Give orders recorded before their forecast arrived the forecast's model version."""
    from backend.execution.models import Order

    if connection.vendor == "postgresql":
        # One array parameter instead of thousands of IN parameters.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE execution_order AS o SET model_version_id = f.model_version_id "
                "FROM forecasts_forecast AS f WHERE o.model_version_id IS NULL "
                "AND o.forecast_message_id = ANY(%s) AND f.message_id = o.forecast_message_id "
                "AND f.model_version_id IS NOT NULL",
                [list(message_ids)],
            )
            return int(cursor.rowcount)
    return Order.objects.filter(
        model_version__isnull=True, forecast_message_id__in=message_ids
    ).update(
        model_version_id=Subquery(
            Forecast.objects.filter(message_id=OuterRef("forecast_message_id")).values(
                "model_version_id"
            )[:1]
        )
    )
