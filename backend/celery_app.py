"""The Celery application: Redis broker, settings read from Django's ``CELERY_*`` names.

Start a worker with ``celery -A backend.celery_app worker`` and the scheduler with
``celery -A backend.celery_app beat`` (the schedule lives in the database, editable in the admin).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.development")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
