"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class BacktestsConfig(AppConfig):
    """Backtest runs imported from LEAN result files."""

    name = "backend.backtests"
    label = "backtests"
    verbose_name = "Backtests"
    default_auto_field = "django.db.models.BigAutoField"
