"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class ExecutionConfig(AppConfig):
    """Orders, fills and portfolio snapshots, with lineage to forecasts."""

    name = "backend.execution"
    label = "execution"
    verbose_name = "Execution"
    default_auto_field = "django.db.models.BigAutoField"
