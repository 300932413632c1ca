"""The forecast engine publishes only live model versions' forecasts as tradable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engines.forecast.engine import (
    ForecastEngine,
    ForecastEngineConfig,
    VersionVerdict,
    config_from_environment,
)
from engines.forecast.sources import BarRequest
from engines.risk.engine import RiskEngine, RiskEngineConfig
from market_data.lean import write_bars
from risk_models.gates import GateConfig
from risk_models.promotion import ModelStatus
from signal_bus import FORECAST_UPDATES, RISK_UPDATES, ForecastUpdate, InMemoryBus, RiskUpdate
from signal_bus.messages import PortfolioSnapshot
from tests.unit.alpha_models.synthetic import random_walk_bars

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)
SYMBOLS = ("AAA", "BBB", "CCC")
FAST = GateConfig(bootstrap_samples=300)


def _write(folder: Path, *, days: int, momentum: float, seed: int) -> None:
    bars = random_walk_bars(SYMBOLS, days=days, seed=seed, momentum=momentum)
    for symbol, frame in bars.items():
        write_bars(
            folder,
            frame.drop(columns=["end_time"]),
            security_type="equity",
            market="usa",
            symbol=symbol,
            resolution="daily",
        )


def _config(tmp_path: Path, **changes: object) -> ForecastEngineConfig:
    request = BarRequest(
        source="lean",
        data_folder=tmp_path / "data",
        security_type="equity",
        market="usa",
        resolution="daily",
        symbols=SYMBOLS,
    )
    settings: dict[str, object] = {
        "bars": request,
        "registry_folder": tmp_path / "models",
        "model": "sklearn",
        "gates": FAST,
        **changes,
    }
    return ForecastEngineConfig(**settings)  # type: ignore[arg-type]


def test_noise_is_published_untradable_and_the_risk_engine_names_every_asset(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "data", days=700, momentum=0.0, seed=5)
    bus = InMemoryBus()
    result = ForecastEngine(_config(tmp_path), bus).run_cycle(NOW)
    assert {update.asset for update in result.forecasts} == set(SYMBOLS)
    assert not any(update.tradable for update in result.forecasts)
    published = bus.last(FORECAST_UPDATES, "AAA:1d")
    assert isinstance(published, ForecastUpdate)
    assert published.tradable is False

    risk = RiskEngine(bus, RiskEngineConfig(block_ms=0), clock=lambda: published.ts_event)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=published.ts_event))
    risk.run_once()
    decision = bus.last(RISK_UPDATES)
    assert isinstance(decision, RiskUpdate)
    assert {f"no live model for {symbol}" for symbol in SYMBOLS} <= set(decision.reasons)


def test_a_planted_edge_goes_live_and_is_published_tradable(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=900, momentum=0.4, seed=6)
    engine = ForecastEngine(_config(tmp_path), None)
    result = engine.run_cycle(NOW)
    gate = engine.gates[0]
    assert gate is not None
    statuses = [str(item.decision.status) for item in gate.ordered()]
    assert "shadow" in statuses
    assert statuses[-1] == "live"
    assert all(update.tradable for update in result.forecasts)
    # Within the period the trailing-window forecasts keep the version's status.
    again = engine.run_cycle(NOW)
    assert again.versions_trained == 0
    assert all(update.tradable for update in again.forecasts)


class RecordingStore:
    """A lifecycle store that records verdicts and answers with a fixed status."""

    def __init__(self, status: ModelStatus) -> None:
        self.status = status
        self.verdicts: list[VersionVerdict] = []

    def settle(self, verdict: VersionVerdict) -> ModelStatus:
        self.verdicts.append(verdict)
        return self.status

    def status_of(self, model: str, version: str) -> ModelStatus | None:
        return self.status

    def champion(self, asset_group: str, horizon: str) -> tuple[str, str] | None:
        return None


@pytest.mark.parametrize("status", [ModelStatus.LIVE, ModelStatus.RETIRED])
def test_the_lifecycle_store_has_the_last_word(tmp_path: Path, status: ModelStatus) -> None:
    _write(tmp_path / "data", days=700, momentum=0.0, seed=5)
    store = RecordingStore(status)
    engine = ForecastEngine(_config(tmp_path, asset_group="us-large"), None, lifecycle=store)
    result = engine.run_cycle(NOW)
    assert {update.tradable for update in result.forecasts} == {status is ModelStatus.LIVE}
    verdict = store.verdicts[-1]
    assert (verdict.asset_group, verdict.horizon, verdict.model) == ("us-large", "1d", "sklearn")
    assert verdict.version == result.forecasts[0].model_version
    assert verdict.decision.status is ModelStatus.CANDIDATE  # what the rule said


def test_ungated_publishes_every_forecast_as_tradable(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=700, momentum=0.0, seed=5)
    result = ForecastEngine(_config(tmp_path, gated=False), None).run_cycle(NOW)
    assert result.forecasts
    assert all(update.tradable for update in result.forecasts)


def test_the_environment_sets_gating_and_the_asset_group() -> None:
    base = {"ATS_DATA_FOLDER": "data", "ATS_FORECAST_SYMBOLS": "AAA"}
    config = config_from_environment(
        "1d", {**base, "ATS_FORECAST_GATED": "false", "ATS_FORECAST_ASSET_GROUP": "majors"}
    )
    assert (config.gated, config.group) == (False, "majors")
    default = config_from_environment(
        "1d", {**base, "ATS_FORECAST_SECURITY_TYPE": "crypto", "ATS_FORECAST_MARKET": "binance"}
    )
    assert (default.gated, default.group) == (True, "crypto-binance")
