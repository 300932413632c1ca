"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class RiskConfig(AppConfig):
    """Risk decisions, circuit-breaker state and audited re-arms."""

    name = "backend.risk"
    label = "risk"
    verbose_name = "Risk"
    default_auto_field = "django.db.models.BigAutoField"
