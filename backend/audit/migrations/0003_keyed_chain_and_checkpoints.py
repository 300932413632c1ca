"""Key the audit chain: a key id per event (rows before keep 'legacy'), signed checkpoints."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_head")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                default="legacy",
                help_text="id of the HMAC key of this row's hash; 'legacy': a public sha256 (before keying)",
                max_length=32,
            ),
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("event_id", models.BigIntegerField()),
                ("hash", models.CharField(max_length=64)),
                ("event_count", models.BigIntegerField()),
                ("legacy_until", models.BigIntegerField(default=0)),
                ("key_id", models.CharField(max_length=32)),
                ("signature", models.CharField(max_length=64)),
            ],
            options={"ordering": ("id",)},
        ),
    ]
