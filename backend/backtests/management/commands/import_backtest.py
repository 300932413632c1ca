"""``manage.py import_backtest FILE [--name NAME]``: import a LEAN result JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.backtests.services import backtest_import
from backend.common.exceptions import InvalidInput


class Command(BaseCommand):
    help = "Import a LEAN backtest result file (camelCase or PascalCase) with its statistics, equity curve and orders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", default=None, help="run name (default: the file name)")
        parser.add_argument(
            "--by", default="cli", help="who imports it (recorded in the audit trail)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        try:
            run, created = backtest_import(
                document=document, name=options["name"] or path.stem, imported_by=options["by"]
            )
        except InvalidInput as error:
            raise CommandError(f"{path}: {error.field}: {error.message}") from error
        verb = "imported" if created else "already imported as"
        self.stdout.write(
            f"{verb} backtest {run.pk} ({run.source_format}): {run.equity_points.count()} equity points, "
            f"{run.orders.count()} orders"
        )
