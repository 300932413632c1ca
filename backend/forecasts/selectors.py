"""Reads of forecasts, signals and model versions."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Forecast, ModelVersion, Signal


def forecast_list() -> QuerySet[Forecast]:
    """Every forecast (filter and paginate in the caller)."""
    return Forecast.objects.all()


def forecast_by_message_id(*, message_id: str) -> Forecast | None:
    """The forecast published with ``message_id``, if stored."""
    return Forecast.objects.filter(message_id=message_id).select_related("model_version").first()


def signal_list() -> QuerySet[Signal]:
    """Every signal, newest first."""
    return Signal.objects.order_by("-timestamp", "-id")


def model_version_list() -> QuerySet[ModelVersion]:
    """Every model version."""
    return ModelVersion.objects.all()
