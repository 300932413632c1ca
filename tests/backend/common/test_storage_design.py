"""Storage design: hypertable-ready constraints, plain tables without TimescaleDB, bus outages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, models

from backend.common.timescale import timescale_available
from backend.execution.models import Fill, PortfolioSnapshot
from backend.forecasts.models import Forecast, Signal
from backend.market.models import Bar
from backend.risk.models import BreakerState, Rearm, RiskDecision

pytestmark = pytest.mark.django_db
TIME_SERIES = (Forecast, Signal, RiskDecision, Fill, PortfolioSnapshot, Bar)


@pytest.mark.parametrize("model", TIME_SERIES, ids=lambda model: model.__name__)
def test_every_unique_constraint_includes_the_time_column(model: type[models.Model]) -> None:
    constraints = [c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    assert constraints, "ingestion is idempotent through a unique constraint"
    assert all("timestamp" in constraint.fields for constraint in constraints)


def test_without_timescaledb_the_tables_stay_plain_and_indexed() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('shared_preload_libraries')")
        if "timescaledb" in cursor.fetchone()[0]:
            pytest.skip("this server preloads timescaledb: test_timescale checks the hypertables")
    assert timescale_available(connection) is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'forecasts_forecast'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'timescaledb'")
        assert cursor.fetchone()[0] == 0
    assert {"forecast_asset_time", "forecast_time", "forecast_message_unique"} <= indexes


def test_rearm_is_kept_when_the_bus_is_down(
    client_for: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    BreakerState.objects.create(
        name="drawdown_limit", state="tripped", changed_at="2025-01-01T00:00:00Z"
    )
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for("operator").post(
            "/api/risk/rearm/", {"breaker": "drawdown_limit", "reason": "reviewed"}, format="json"
        )
    assert response.status_code == 201
    rearm = Rearm.objects.get()
    assert (rearm.breaker, rearm.published) == ("drawdown_limit", False)
    assert BreakerState.objects.get(name="drawdown_limit").state == "armed"
