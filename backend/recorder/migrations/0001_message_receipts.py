"""The message-id registry, filled with the ids already stored (their digest unknown: empty)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# Channel -> the tables (and their time column) whose message ids it covers.
_STORED = {
    "forecast_updates": ("forecasts_forecast",),
    "risk_updates": ("risk_riskdecision",),
    "execution_events": ("execution_fill", "execution_portfoliosnapshot"),
}


def backfill(apps: Any, schema_editor: Any) -> None:
    """Register every stored message id once, at its earliest time; plain SQL, any chunk."""
    quote = schema_editor.connection.ops.quote_name
    with schema_editor.connection.cursor() as cursor:
        for channel, tables in _STORED.items():
            union = " UNION ALL ".join(
                f"SELECT message_id, {quote('timestamp')} AS moment FROM {quote(table)}"
                for table in tables
            )
            cursor.execute(
                "INSERT INTO recorder_messagereceipt "
                '(channel, message_id, "timestamp", digest, received_at) '
                f"SELECT %s, message_id, MIN(moment), '', CURRENT_TIMESTAMP FROM ({union}) AS stored "
                "GROUP BY message_id",
                [channel],
            )


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("forecasts", "0002_hypertables"),
        ("risk", "0002_hypertables"),
        ("execution", "0002_hypertables"),
    ]

    operations = [
        migrations.CreateModel(
            name="MessageReceipt",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("channel", models.CharField(max_length=40)),
                ("message_id", models.CharField(max_length=64)),
                ("timestamp", models.DateTimeField()),
                ("digest", models.CharField(blank=True, default="", max_length=64)),
                ("received_at", models.DateTimeField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("channel", "message_id"), name="message_receipt_unique"
                    )
                ]
            },
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
    ]
