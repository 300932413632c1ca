"""TimescaleDB hypertables for the time-series tables (a no-op without the extension)."""

from __future__ import annotations

from django.db import migrations

from backend.common.timescale import hypertable


class Migration(migrations.Migration):
    dependencies = [("execution", "0001_initial")]

    operations = [
        hypertable(table="execution_fill"),
        hypertable(table="execution_portfoliosnapshot", segment_by="account"),
    ]
