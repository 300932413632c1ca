"""Celery beat entries of the feeds: one periodic task per feed, kept in step with the rows.

Each feed has a ``django_celery_beat`` periodic task named ``market ingest <feed>`` that
runs ``market.ingest_feed`` a few minutes after its bars close; it is enabled while the
feed is. The feed services call :func:`feed_schedule_sync` on every change; the admin and
``manage.py sync_feed_schedules`` do too.
"""

from __future__ import annotations

import json
from typing import Any

TASK_NAME = "market.ingest_feed"
TASK_PREFIX = "market ingest "

# (source, resolution) -> crontab fields (minute, hour, day_of_week, timezone): a few
# minutes after the bar closes; equity only on weekdays, in New York time.
CRONTABS: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("ccxt", "minute"): ("*", "*", "*", "UTC"),
    ("ccxt", "hour"): ("2", "*", "*", "UTC"),
    ("ccxt", "daily"): ("5", "0", "*", "UTC"),
    ("polygon", "minute"): ("*", "4-20", "1-5", "America/New_York"),
    ("polygon", "hour"): ("5", "5-20", "1-5", "America/New_York"),
    ("polygon", "daily"): ("30", "16", "1-5", "America/New_York"),
}


def periodic_task_name(feed_name: str) -> str:
    """The periodic task's name of a feed."""
    return f"{TASK_PREFIX}{feed_name}"


def schedule_apply(
    *,
    crontab_model: Any,
    task_model: Any,
    name: str,
    source: str,
    resolution: str,
    enabled: bool,
) -> Any:
    """Create or update a feed's periodic task (models passed in, so migrations can use it)."""
    minute, hour, day_of_week, zone = CRONTABS[(source, resolution)]
    crontab, _ = crontab_model.objects.get_or_create(
        minute=minute,
        hour=hour,
        day_of_week=day_of_week,
        day_of_month="*",
        month_of_year="*",
        timezone=zone,
    )
    task, _ = task_model.objects.update_or_create(
        name=periodic_task_name(name),
        defaults={
            "task": TASK_NAME,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"feed_name": name}),
            "enabled": enabled,
        },
    )
    return task


def feed_schedule_sync(*, name: str, source: str, resolution: str, enabled: bool) -> Any:
    """Bring the periodic task of one feed in line with its row."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    return schedule_apply(
        crontab_model=CrontabSchedule,
        task_model=PeriodicTask,
        name=name,
        source=source,
        resolution=resolution,
        enabled=enabled,
    )


def feed_schedule_remove(*, name: str) -> None:
    """Delete a feed's periodic task (the feed is gone or renamed)."""
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.filter(name=periodic_task_name(name)).delete()


def feed_schedules_sync_all() -> dict[str, int]:
    """Sync every feed's periodic task and delete those of feeds that no longer exist."""
    from django_celery_beat.models import PeriodicTask

    from .models import Feed

    names = set()
    for feed in Feed.objects.all():
        feed_schedule_sync(
            name=feed.name, source=feed.source, resolution=feed.resolution, enabled=feed.enabled
        )
        names.add(periodic_task_name(feed.name))
    orphans = PeriodicTask.objects.filter(task=TASK_NAME).exclude(name__in=names)
    removed = orphans.count()
    orphans.delete()
    return {"synced": len(names), "removed": removed}
