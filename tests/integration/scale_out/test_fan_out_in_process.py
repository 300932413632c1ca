"""The fan-out run in one process (Celery's eager mode): training once, a group that fails."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from alpha_models.registry import ModelRegistry
from alpha_models.schedule import period_start
from backend.common.exceptions import InvalidInput
from backend.engines.services import forecast_fanout_run
from engines.forecast.fanout import data_time, period_version
from engines.forecast.scale_out import cycle_summary, last_summary_key
from tests.integration.scale_out.cluster import engine_environment, write_synthetic_daily
from tests.support.redis_namespace import unique_namespace
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.django_db

ASSETS = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"]
NOW = dt.datetime(2012, 7, 17, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    write_synthetic_daily(tmp_path / "data", ASSETS, 400, seed=5)
    with RedisServer() as server:
        values = engine_environment(
            data_folder=tmp_path / "data",
            registry=tmp_path / "models",
            assets=ASSETS,
            redis_url=server.url,
            namespace=unique_namespace("fan-out-eager"),
        )
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        yield values


def test_parent_trains_once_and_a_failing_group_is_recorded_missing(
    environment: dict[str, str], tmp_path: Path
) -> None:
    first = forecast_fanout_run(horizon="1d", now=NOW, group_size=2)
    assert first["groups"] == 3
    assert int(str(first["versions_trained"])) > 0
    summary = cycle_summary(str(first["cycle_id"]))
    assert summary is not None
    assert (summary["forecast_count"], summary["missing"]) == (5, [])
    assert summary["version"] == first["version"]
    registry = ModelRegistry(tmp_path / "models")
    period = period_start(data_time(NOW, "equity"), "quarterly")
    found = period_version(
        registry.versions(), model="lightgbm", horizon="1d", period=period, assets=ASSETS
    )
    assert found is not None, "the parent finds the period's version without a walk-forward"
    assert found.version == first["version"]

    (tmp_path / "data" / "equity" / "usa" / "daily" / "charlie.zip").unlink()
    second = forecast_fanout_run(horizon="1d", now=NOW, group_size=2)
    assert second["versions_trained"] == 0, "the period's version is reused, not trained again"
    assert second["version"] == first["version"]
    summary = cycle_summary(str(second["cycle_id"]))
    assert summary is not None
    assert summary["forecast_count"] == 3
    assert summary["missing"] == ["CHARLIE:1d", "DELTA:1d"], "the whole failed group is missing"
    client = redis.Redis.from_url(environment["REDIS_URL"])
    try:
        latest = json.loads(client.get(last_summary_key("1d")) or b"{}")
    finally:
        client.close()
    assert latest["cycle_id"] == second["cycle_id"]


def test_a_cycle_without_listed_assets_is_refused(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATS_FORECAST_SOURCE", "bundled")
    monkeypatch.setenv("ATS_FORECAST_SYMBOLS", "")
    with pytest.raises(InvalidInput, match="ATS_FORECAST_SYMBOLS"):
        forecast_fanout_run(horizon="1d", now=NOW, group_size=2)


def test_groups_publish_the_versions_promotion_verdict(
    environment: dict[str, str], tmp_path: Path
) -> None:
    from backend.forecasts.lifecycle import transition
    from backend.forecasts.models import ModelVersion
    from engines.forecast.engine import PROMOTION_DOCUMENT
    from signal_bus import FORECAST_UPDATES, ForecastUpdate, RedisBus

    first = forecast_fanout_run(horizon="1d", now=NOW, group_size=2)
    version = str(first["version"])
    registry = ModelRegistry(tmp_path / "models")
    verdict = registry.document(version, PROMOTION_DOCUMENT)
    # Random walks: the version is not proven; the verdict is recorded with its reasons.
    assert verdict is not None
    assert verdict["tradable"] is False
    assert verdict["status"] == "candidate"
    assert verdict["reasons"]
    assert first["tradable"] is False
    bus = RedisBus.from_environment(environment)
    try:
        published = [bus.last(FORECAST_UPDATES, f"{asset}:1d") for asset in ASSETS]
        assert all(isinstance(update, ForecastUpdate) for update in published)
        assert not any(update.tradable for update in published if update is not None)
        # The model registry has the last word: an operator makes the version live,
        # and every group's forecasts of the next cycle trade.
        row = ModelVersion.objects.get(version=version)
        assert row.status == "candidate"
        transition(row, "shadow", actor="alice", reason="reviewed", manual=True)
        transition(row, "live", actor="alice", reason="approved", manual=True)
        second = forecast_fanout_run(horizon="1d", now=NOW, group_size=2)
        assert second["tradable"] is True
        again = [bus.last(FORECAST_UPDATES, f"{asset}:1d") for asset in ASSETS]
        assert all(update is not None and update.tradable for update in again)
    finally:
        bus.close()
