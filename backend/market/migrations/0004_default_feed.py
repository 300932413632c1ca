"""Seed one feed (Binance BTCUSDT and ETHUSDT hourly bars from 2024-01-01) and its beat entry."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import migrations

from backend.market.schedule import periodic_task_name, schedule_apply

DEFAULT_FEED = {
    "name": "binance-hour",
    "source": "ccxt",
    "exchange": "binance",
    "symbols": ["BTCUSDT", "ETHUSDT"],
    "resolution": "hour",
    "start": datetime.date(2024, 1, 1),
    "overlap": 3,
    "enabled": True,
}


def create_feed(apps: Any, schema_editor: Any) -> None:
    feed_model = apps.get_model("market", "Feed")
    feed, _ = feed_model.objects.get_or_create(
        name=DEFAULT_FEED["name"],
        defaults={key: value for key, value in DEFAULT_FEED.items() if key != "name"},
    )
    schedule_apply(
        crontab_model=apps.get_model("django_celery_beat", "CrontabSchedule"),
        task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        name=feed.name,
        source=feed.source,
        resolution=feed.resolution,
        enabled=feed.enabled,
    )


def remove_feed(apps: Any, schema_editor: Any) -> None:
    name = DEFAULT_FEED["name"]
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name=periodic_task_name(str(name))
    ).delete()
    apps.get_model("market", "Feed").objects.filter(name=name).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("market", "0003_series_feeds"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_feed, remove_feed)]
