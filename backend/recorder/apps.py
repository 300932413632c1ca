"""App configuration."""

from __future__ import annotations

from django.apps import AppConfig


class RecorderConfig(AppConfig):
    """Records the bus channels into the database (``manage.py record_streams``)."""

    name = "backend.recorder"
    label = "recorder"
    verbose_name = "Recorder"
