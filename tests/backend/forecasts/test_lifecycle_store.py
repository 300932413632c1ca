"""The forecast engine with the backend's model registry as its lifecycle store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from backend.forecasts.lifecycle import LifecycleError, rollback, transition
from backend.forecasts.lifecycle_store import DatabaseLifecycle
from backend.forecasts.models import ModelTransition, ModelVersion
from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.sources import BarRequest
from market_data.lean import write_bars
from risk_models.gates import GateConfig
from risk_models.promotion import ModelStatus
from tests.unit.alpha_models.synthetic import random_walk_bars

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
SYMBOLS = ("AAA", "BBB", "CCC")


def _engine(tmp_path: Path, *, momentum: float, seed: int, days: int) -> ForecastEngine:
    for symbol, frame in random_walk_bars(SYMBOLS, days=days, seed=seed, momentum=momentum).items():
        write_bars(
            tmp_path / "data",
            frame.drop(columns=["end_time"]),
            security_type="equity",
            market="usa",
            symbol=symbol,
            resolution="daily",
        )
    config = ForecastEngineConfig(
        bars=BarRequest(
            source="lean",
            data_folder=tmp_path / "data",
            security_type="equity",
            market="usa",
            resolution="daily",
            symbols=SYMBOLS,
        ),
        registry_folder=tmp_path / "models",
        model="sklearn",
        gates=GateConfig(bootstrap_samples=300),
    )
    return ForecastEngine(config, None, lifecycle=DatabaseLifecycle())


def test_a_version_without_an_edge_is_registered_as_a_candidate_with_its_gates(
    tmp_path: Path,
) -> None:
    result = _engine(tmp_path, momentum=0.0, seed=5, days=700).run_cycle(NOW)
    row = ModelVersion.objects.get(version=result.forecasts[0].model_version)
    assert (row.model, row.asset_group, row.horizon, row.status) == (
        "sklearn",
        "equity-usa",
        "1d",
        "candidate",
    )
    assert row.gates["status"] == "candidate"
    assert row.gates["reasons"]
    assert {gate["name"] for gate in row.gates["gates"]["gates"]} >= {"evidence"}
    assert "rows" in row.metrics  # the walk-forward's out-of-sample record
    assert not any(update.tradable for update in result.forecasts)


def test_a_proven_version_goes_live_and_an_operator_has_the_last_word(tmp_path: Path) -> None:
    engine = _engine(tmp_path, momentum=0.4, seed=6, days=900)
    result = engine.run_cycle(NOW)
    row = ModelVersion.objects.get(version=result.forecasts[0].model_version)
    assert row.status == "live"
    assert all(update.tradable for update in result.forecasts)
    assert list(
        ModelTransition.objects.filter(version=row).values_list("from_status", "to_status")
    ) == [("candidate", "shadow"), ("shadow", "live")]

    transition(row, "retired", actor="alice", reason="bad fills", manual=True)
    again = engine.run_cycle(NOW)
    assert not any(update.tradable for update in again.forecasts)
    assert ModelVersion.objects.get(pk=row.pk).status == ModelStatus.RETIRED
    assert DatabaseLifecycle().status_of("sklearn", row.version) is ModelStatus.RETIRED
    assert DatabaseLifecycle().status_of("sklearn", "never-seen") is None
    with pytest.raises(LifecycleError, match="roll back"):
        rollback("equity-usa", "1d", actor="alice", reason="nothing before it")


def test_a_rollback_makes_the_engine_forecast_with_the_previous_champion(tmp_path: Path) -> None:
    engine = _engine(tmp_path, momentum=0.4, seed=6, days=900)
    first = engine.run_cycle(NOW)
    january = first.forecasts[0].model_version
    # Two more months of bars: the recipe's refit for the new period goes live in its place.
    _engine(tmp_path, momentum=0.4, seed=6, days=945)
    later = engine.run_cycle(NOW)
    march = later.forecasts[0].model_version
    assert march != january
    assert ModelVersion.objects.get(version=march).status == "live"
    assert ModelVersion.objects.get(version=january).status == "retired"

    retired, restored = rollback("equity-usa", "1d", actor="alice", reason="march misbehaves")
    assert (retired.version, restored.version) == (march, january)
    after = engine.run_cycle(NOW)
    assert {update.model_version for update in after.forecasts} == {january}
    assert all(update.tradable for update in after.forecasts)
    assert {update.asset for update in after.forecasts} == set(SYMBOLS)
    # The rule does not undo the operator's decision on the next cycle either.
    assert ModelVersion.objects.get(version=march).status == "retired"
