"""Reads of forecasts, signals and model versions."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from .models import Forecast, ModelVersion, Signal


def forecast_list() -> QuerySet[Forecast]:
    """Every forecast (filter and paginate in the caller)."""
    return Forecast.objects.all()


FORECAST_ROW_FIELDS = (
    "id", "message_id", "asset", "horizon", "prediction", "confidence", "timestamp", "ts_init",
    "model", "model_version_name", "interval_low", "interval_high",
)  # fmt: skip


def forecast_rows() -> QuerySet[Forecast, dict[str, Any]]:
    """Forecasts as plain rows (no model instances), with the model version's name; for large pages."""
    return Forecast.objects.annotate(model_version_name=F("model_version__version")).values(
        *FORECAST_ROW_FIELDS
    )


def forecast_by_message_id(*, message_id: str) -> Forecast | None:
    """The forecast published with ``message_id``, if stored."""
    return Forecast.objects.filter(message_id=message_id).select_related("model_version").first()


def signal_list() -> QuerySet[Signal]:
    """Every signal, newest first."""
    return Signal.objects.order_by("-timestamp", "-id")


def model_version_list() -> QuerySet[ModelVersion]:
    """Every model version."""
    return ModelVersion.objects.all()
