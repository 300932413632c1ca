"""``manage.py verify_audit``: exit 1 and list the rows when the audit chain is broken."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; fail when a row was changed or deleted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            nargs="*",
            default=[],
            help="files of exported checkpoints (JSON lines, as audit_checkpoint prints them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoints: list[dict[str, Any]] = []
        for name in options["checkpoints"]:
            try:
                lines = Path(name).read_text(encoding="utf-8").splitlines()
                checkpoints.extend(json.loads(line) for line in lines if line.strip())
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read checkpoints from {name}: {error}") from error
        problems = audit_chain_verify(checkpoints=checkpoints)
        if problems:
            for problem in problems:
                self.stderr.write(f"audit event {problem.event_id}: {problem.problem}")
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)")
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} event(s)")
