"""The default beat schedule: a forecast cycle per horizon and a weekly retraining per horizon.

The rows live in django-celery-beat's tables, so operators change them in the admin.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import migrations

# horizon -> (cron minute, cron hour) of its forecast cycle, a few minutes after the bar closes.
CYCLES = {"1h": ("5", "*"), "4h": ("5", "*/4"), "1d": ("15", "0")}


def _name(kind: str, horizon: str) -> str:
    return f"forecast {kind} {horizon}"


def create_schedule(apps: Any, schema_editor: Any) -> None:
    crontab_model = apps.get_model("django_celery_beat", "CrontabSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for horizon, (minute, hour) in CYCLES.items():
        cycle_schedule, _ = crontab_model.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        task_model.objects.get_or_create(
            name=_name("cycle", horizon),
            defaults={
                "task": "engines.forecast_cycle",
                "crontab": cycle_schedule,
                "kwargs": json.dumps({"horizon": horizon}),
            },
        )
        retrain_schedule, _ = crontab_model.objects.get_or_create(
            minute="30",
            hour="2",
            day_of_week="0",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        task_model.objects.get_or_create(
            name=_name("retrain", horizon),
            defaults={
                "task": "engines.forecast_retrain",
                "crontab": retrain_schedule,
                "kwargs": json.dumps({"horizon": horizon}),
            },
        )


def remove_schedule(apps: Any, schema_editor: Any) -> None:
    names = [_name(kind, horizon) for kind in ("cycle", "retrain") for horizon in CYCLES]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
