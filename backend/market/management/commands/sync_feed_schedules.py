"""``manage.py sync_feed_schedules``: every feed's beat entry in line with its row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from backend.market.schedule import feed_schedules_sync_all


class Command(BaseCommand):
    help = "Create or update each feed's periodic task and delete those of removed feeds."

    def handle(self, *args: Any, **options: Any) -> None:
        result = feed_schedules_sync_all()
        self.stdout.write(
            f"synced {result['synced']} feed(s), removed {result['removed']} entry(ies)"
        )
