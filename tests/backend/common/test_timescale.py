"""TimescaleDB: the migrations' hypertables, policies and idempotent ingestion into compressed chunks.

These run when the test database server has the ``timescaledb`` extension preloaded (point
``TEST_DB_HOST``/``TEST_DB_PORT`` at one, e.g. the production image); on plain PostgreSQL
``test_storage_design`` checks the other branch: plain indexed tables and no extension.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from backend.common.timescale import timescale_available
from backend.forecasts.models import Forecast, Signal
from backend.forecasts.services import forecast_messages_store
from signal_bus.messages import ForecastUpdate

pytestmark = pytest.mark.django_db(transaction=True)

HYPERTABLES = {
    "forecasts_forecast": "asset",
    "forecasts_signal": "asset",
    "risk_riskdecision": None,
    "execution_fill": None,
    "execution_portfoliosnapshot": "account",
    "market_bar": "asset",
}


@pytest.fixture(autouse=True)
def _needs_timescaledb(db: Any) -> None:
    if not timescale_available(connection):
        pytest.skip("the test database server has no preloaded timescaledb extension")


def rows(sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def test_every_time_series_table_is_a_compressed_hypertable_with_policies() -> None:
    tables = dict(
        rows("SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables")
    )
    assert tables == dict.fromkeys(HYPERTABLES, True)
    policies = {
        (table, procedure)
        for table, procedure in rows(
            "SELECT hypertable_name, proc_name FROM timescaledb_information.jobs"
            " WHERE hypertable_name IS NOT NULL"
        )
    }
    for table in HYPERTABLES:
        assert {(table, "policy_compression"), (table, "policy_retention")} <= policies
    segment_by = dict(
        rows(
            "SELECT hypertable_name, attname FROM timescaledb_information.compression_settings"
            " WHERE segmentby_column_index IS NOT NULL"
        )
    )
    assert segment_by == {table: column for table, column in HYPERTABLES.items() if column}


def forecasts(start: datetime, count: int, prefix: str) -> list[ForecastUpdate]:
    return [
        ForecastUpdate(
            id=f"{prefix}-{index}", ts_event=start + timedelta(hours=index),
            ts_init=start + timedelta(hours=index), asset=("BTCUSD", "SPY")[index % 2],
            horizon="1h", prediction=0.002 * (index % 5 - 2), confidence=0.55 + index % 4 / 10,
            model="lightgbm", model_version="v1",
        )
        for index in range(count)
    ]  # fmt: skip


def compress_old_chunks(table: str) -> None:
    """Compress ``table``'s chunks older than 30 days (the policy's job, done now)."""
    for (chunk,) in rows(
        "SELECT format('%%I.%%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks"
        " WHERE hypertable_name = %s AND NOT is_compressed AND range_end < now() - interval '30 days'",
        (table,),
    ):
        rows("SELECT compress_chunk(%s::regclass, if_not_compressed => true)", (chunk,))


def test_replayed_messages_stay_single_rows_in_compressed_chunks() -> None:
    old = forecasts(datetime.now(UTC) - timedelta(days=60), 48, "old")
    forecast_messages_store(messages=old)
    for table in ("forecasts_forecast", "forecasts_signal"):
        compress_old_chunks(table)
    assert (
        rows(
            "SELECT count(*) FROM timescaledb_information.chunks"
            " WHERE hypertable_name = 'forecasts_forecast' AND is_compressed"
        )[0][0]
        >= 1
    ), "the old forecasts' chunks are compressed"

    # A replay after a crash: the same messages again, plus new ones into the compressed range.
    late = forecasts(datetime.now(UTC) - timedelta(days=60, minutes=30), 4, "late")
    forecast_messages_store(messages=old + late)

    assert Forecast.objects.count() == len(old) + len(late)
    assert Signal.objects.count() == len(old) + len(late)
    assert Forecast.objects.filter(message_id__startswith="old-").count() == len(old)
    stored = Forecast.objects.get(message_id="old-7")
    assert (stored.asset, stored.prediction) == ("SPY", pytest.approx(0.002 * (7 % 5 - 2)))


def test_retention_drops_only_chunks_past_the_policy() -> None:
    (drop_after,) = rows(
        "SELECT config->>'drop_after' FROM timescaledb_information.jobs"
        " WHERE hypertable_name = 'forecasts_forecast' AND proc_name = 'policy_retention'"
    )[0]
    assert drop_after == "730 days"
    now = datetime.now(UTC)
    forecast_messages_store(messages=forecasts(now - timedelta(days=800), 3, "expired"))
    forecast_messages_store(messages=forecasts(now - timedelta(days=10), 3, "recent"))
    rows("SELECT drop_chunks('forecasts_signal', older_than => %s::interval)", (drop_after,))
    rows("SELECT drop_chunks('forecasts_forecast', older_than => %s::interval)", (drop_after,))
    remaining = set(Forecast.objects.values_list("message_id", flat=True))
    assert remaining == {"recent-0", "recent-1", "recent-2"}
