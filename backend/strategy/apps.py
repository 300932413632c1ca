"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class StrategyConfig(AppConfig):
    """Strategy configuration and its append-only change history."""

    name = "backend.strategy"
    label = "strategy"
    verbose_name = "Strategy"
    default_auto_field = "django.db.models.BigAutoField"
