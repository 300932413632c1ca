"""Writes: store forecasts (idempotently), derive their signals, register model versions."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import OuterRef, Subquery

from backend.strategy.selectors import strategy_parameter_value
from signal_bus.messages import ForecastUpdate

from .models import Forecast, ModelVersion, Signal
from .signals_rule import signal_from_forecast


def model_version_resolve(
    *, model: str, version: str, cache: dict[tuple[str, str], ModelVersion] | None = None
) -> ModelVersion | None:
    """Return the model version row for ``(model, version)``, creating it on first sight."""
    if not model or not version:
        return None
    key = (model, version)
    if cache is not None and key in cache:
        return cache[key]
    row, _ = ModelVersion.objects.get_or_create(model=model, version=version)
    if cache is not None:
        cache[key] = row
    return row


def forecast_messages_store(*, messages: Sequence[ForecastUpdate]) -> int:
    """Store forecasts and their signals; a message already stored is skipped. Returns the count given."""
    if not messages:
        return 0
    entry_threshold = float(strategy_parameter_value(key="entry_confidence"))
    min_magnitude = float(strategy_parameter_value(key="min_prediction_magnitude"))
    versions: dict[tuple[str, str], ModelVersion] = {}
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
                model_version=model_version_resolve(
                    model=message.model, version=message.model_version, cache=versions
                ),
                interval_low=message.interval_low,
                interval_high=message.interval_high,
            )
        )
        values = signal_from_forecast(
            prediction=message.prediction,
            confidence=message.confidence,
            entry_threshold=entry_threshold,
            min_magnitude=min_magnitude,
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
    with transaction.atomic():
        Forecast.objects.bulk_create(forecasts, ignore_conflicts=True, batch_size=1000)
        Signal.objects.bulk_create(signals, ignore_conflicts=True, batch_size=1000)
        if versions:
            _order_lineage_backfill(
                message_ids=[message.id for message in messages if message.model_version]
            )
    return len(forecasts)


def _order_lineage_backfill(*, message_ids: Sequence[str]) -> int:
    """Give orders recorded before their forecast arrived the forecast's model version."""
    from backend.execution.models import Order

    return Order.objects.filter(
        model_version__isnull=True, forecast_message_id__in=message_ids
    ).update(
        model_version_id=Subquery(
            Forecast.objects.filter(message_id=OuterRef("forecast_message_id")).values(
                "model_version_id"
            )[:1]
        )
    )
