"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class MarketConfig(AppConfig):
    """Market bars."""

    name = "backend.market"
    label = "market"
    verbose_name = "Market"
    default_auto_field = "django.db.models.BigAutoField"
