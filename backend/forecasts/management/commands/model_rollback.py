"""``manage.py model_rollback``: restore the previous champion of an asset group and horizon."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.common.exceptions import InvalidInput
from backend.forecasts.lifecycle import rollback


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in this environment
        return "cli"


class Command(BaseCommand):
    help = (
        "Retire the live model version (champion) of an asset group and horizon and make the "
        "version it replaced live again. Both changes are recorded as transitions and in the "
        "audit chain; exit 1 when there is nothing to roll back to."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--asset-group", default="", help="asset group of the champion (default: none)"
        )
        parser.add_argument("--horizon", required=True, help="horizon of the champion, e.g. 1d")
        parser.add_argument("--reason", required=True, help="why (kept with the transitions)")
        parser.add_argument(
            "--actor", default=None, help="who is rolling back (default: cli:<login name>)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            retired, restored = rollback(
                options["asset_group"],
                options["horizon"],
                actor=options["actor"] or _default_actor(),
                reason=options["reason"],
            )
        except InvalidInput as error:
            raise CommandError(f"nothing rolled back: {error.message}") from None
        group = options["asset_group"] or "(no group)"
        self.stdout.write(f"{group} {options['horizon']}: {retired} retired, {restored} live again")
