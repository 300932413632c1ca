"""The audit head: the chain's newest hash kept outside the chained table."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def head_from_existing_chain(apps: Any, schema_editor: Any) -> None:
    """Anchor a chain that already has events at its newest row."""
    events = apps.get_model("audit", "AuditEvent")
    heads = apps.get_model("audit", "AuditHead")
    newest = events.objects.order_by("-id").first()
    if newest is None:
        return
    heads.objects.update_or_create(
        id=1,
        defaults={
            "event_id": newest.pk,
            "hash": newest.hash,
            "updated_at": newest.created_at,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False),
                ),
                ("event_id", models.BigIntegerField(help_text="id of the newest audit event")),
                (
                    "hash",
                    models.CharField(help_text="hash of the newest audit event", max_length=64),
                ),
                ("updated_at", models.DateTimeField()),
            ],
        ),
        migrations.RunPython(head_from_existing_chain, migrations.RunPython.noop),
    ]
