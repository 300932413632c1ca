"""``manage.py import_bars``: store trade bars read from a LEAN data folder."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.market.lean_import import RESOLUTION_INTERVALS, lean_bars_import


class Command(BaseCommand):
    help = "Store trade bars of some symbols from a LEAN data folder (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data-folder", required=True, help="root of the LEAN data folder")
        parser.add_argument("--security-type", required=True, choices=("equity", "crypto"))
        parser.add_argument("--market", required=True, help="LEAN market, e.g. usa or binance")
        parser.add_argument("--resolution", required=True, choices=tuple(RESOLUTION_INTERVALS))
        parser.add_argument(
            "--symbols", required=True, nargs="+", help="tickers (space- or comma-separated)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        symbols = [part for item in options["symbols"] for part in item.split(",")]
        try:
            written = lean_bars_import(
                data_folder=options["data_folder"],
                security_type=options["security_type"],
                market=options["market"],
                resolution=options["resolution"],
                symbols=symbols,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        interval = RESOLUTION_INTERVALS[options["resolution"]]
        for asset, count in written.items():
            self.stdout.write(f"{asset} {interval}: {count} bars")
        self.stdout.write(f"stored {sum(written.values())} bars of {len(written)} assets")
