"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class ForecastsConfig(AppConfig):
    """Forecasts, the signals derived from them and model versions."""

    name = "backend.forecasts"
    label = "forecasts"
    verbose_name = "Forecasts"
    default_auto_field = "django.db.models.BigAutoField"
