"""``manage.py verify_audit``: exit 1 and list the rows when the audit chain is broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail; fail when a row was changed or deleted."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = audit_chain_verify()
        if problems:
            for problem in problems:
                self.stderr.write(f"audit event {problem.event_id}: {problem.problem}")
            raise CommandError(f"audit chain broken: {len(problems)} problem(s)")
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} event(s)")
