"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class UpdatesAppConfig(AppConfig):
    """The live-updates WebSocket gateway (no models)."""

    name = "backend.updates"
    label = "updates"
    verbose_name = "Live updates"
