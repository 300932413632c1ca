"""``manage.py ingest_feed NAME``: one ingestion run of a feed now, as beat would start it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.market.ingestion import FeedBusyError, feed_ingest_run
from backend.market.selectors import feed_get


class Command(BaseCommand):
    help = "Run one ingestion of the feed NAME (every symbol) and print what it did."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        feed = feed_get(name=options["name"])
        if feed is None:
            raise CommandError(f"no feed named {options['name']!r}")
        try:
            run = feed_ingest_run(feed=feed, trigger="manual")
        except FeedBusyError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{feed.name}: {run.status}, fetched {run.fetched}, stored {run.stored} "
            f"({run.new_bars} new), refused {run.refused or 0}, gaps left {run.gaps_remaining}"
        )
        if run.error:
            self.stdout.write(run.error)
        if run.status == "failed":
            raise CommandError("the run failed")
