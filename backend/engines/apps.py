"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class EnginesConfig(AppConfig):
    """Celery tasks for the forecast engine; the schedule lives in django-celery-beat."""

    name = "backend.engines"
    label = "engines"
    verbose_name = "Engines"

    def ready(self) -> None:
        from backend import celery_app  # noqa: F401 - binds the shared tasks to the project's app
