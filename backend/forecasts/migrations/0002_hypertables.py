"""TimescaleDB hypertables for the time-series tables (a no-op without the extension)."""

from __future__ import annotations

from django.db import migrations

from backend.common.timescale import hypertable


class Migration(migrations.Migration):
    dependencies = [("forecasts", "0001_initial")]

    operations = [
        hypertable(table="forecasts_forecast", segment_by="asset"),
        hypertable(table="forecasts_signal", segment_by="asset"),
    ]
