"""``manage.py audit_checkpoint``: sign the audit chain head now and print the checkpoint."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from backend.audit.services import audit_checkpoint_create, checkpoint_document


class Command(BaseCommand):
    help = (
        "Sign the audit chain head (HMAC with AUDIT_CHAIN_KEY), store it, append it to "
        "AUDIT_CHECKPOINT_FILE when set, and print it as one JSON line to keep elsewhere."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = audit_checkpoint_create()
        self.stdout.write(json.dumps(checkpoint_document(checkpoint), sort_keys=True))
