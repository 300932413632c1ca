"""TimescaleDB hypertables for the time-series tables (a no-op without the extension)."""

from __future__ import annotations

from django.db import migrations

from backend.common.timescale import hypertable


class Migration(migrations.Migration):
    dependencies = [("market", "0001_initial")]

    operations = [
        hypertable(
            table="market_bar", chunk_interval="30 days", segment_by="asset", retain_for="3650 days"
        ),
    ]
