"""``manage.py model_status``: list model versions with their lifecycle status."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.forecasts.selectors import model_version_list
from risk_models.promotion import ModelStatus


class Command(BaseCommand):
    help = "List model versions: model@version, status, asset group, horizon, last change."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--status", choices=[status.value for status in ModelStatus], default=None
        )
        parser.add_argument("--model", default=None, help="only this model (recipe)")

    def handle(self, *args: Any, **options: Any) -> None:
        versions = model_version_list().order_by("asset_group", "horizon", "model", "version")
        if options["status"]:
            versions = versions.filter(status=options["status"])
        if options["model"]:
            versions = versions.filter(model=options["model"])
        rows = [
            (
                str(version),
                version.status + (" (manual)" if version.manual else ""),
                version.asset_group or "-",
                version.horizon or "-",
                version.status_changed_at.isoformat() if version.status_changed_at else "-",
            )
            for version in versions
        ]
        if not rows:
            self.stdout.write("no model versions")
            return
        header = ("version", "status", "asset group", "horizon", "since")
        widths = [max(len(row[index]) for row in (header, *rows)) for index in range(5)]
        for row in (header, *rows):
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
