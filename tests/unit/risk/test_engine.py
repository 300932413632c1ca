"""The risk engine on the in-memory bus with a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engines.risk.engine import REARM_KEY, RiskEngine, RiskEngineConfig, horizon_length
from engines.risk.state_store import MemoryStateStore
from risk_models.monitor import RiskMonitorConfig
from risk_models.parameters import StrategyParameters
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import ForecastUpdate, PortfolioSnapshot, RiskUpdate, StrategyConfigUpdate

T0 = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
PARAMETERS = StrategyParameters().replace(state_min_dwell_seconds=0.0)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_engine(bus: InMemoryBus, clock: Clock, store: MemoryStateStore) -> RiskEngine:
    config = RiskEngineConfig(block_ms=0, heartbeat_seconds=30.0, handler_retry_delay_s=0.0)
    return RiskEngine(bus, config, clock=clock, state_store=store, parameters=PARAMETERS)


def risk_updates(bus: InMemoryBus) -> list[RiskUpdate]:
    entries = bus.read_stream(RISK_UPDATES, after="0-0", count=1000, block_ms=None)
    from signal_bus.codec import decode

    updates = [decode(entry.payload or b"", RISK_UPDATES) for entry in entries]
    assert all(isinstance(update, RiskUpdate) for update in updates)
    return updates  # type: ignore[return-value]


@pytest.fixture
def setup() -> tuple[InMemoryBus, Clock, MemoryStateStore]:
    return InMemoryBus(), Clock(), MemoryStateStore()


def test_forecast_in_risk_update_out_with_reasons(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    bus.publish(
        ForecastUpdate.create(
            asset="BTCUSD", horizon="4h", prediction=0.0082, confidence=0.45, now=T0
        )
    )
    assert engine.run_once() == 2
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert last.state == "active"
    assert last.risk_factor == pytest.approx(0.8)
    assert last.reasons == ("low_confidence",)
    assert last.inputs["confidence"] == 0.45


def test_a_forecast_of_a_model_that_is_not_live_is_reported_as_a_reason(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    for asset, tradable in (("BTCUSD", True), ("ETHUSD", False)):
        bus.publish(
            ForecastUpdate.create(
                asset=asset,
                horizon="4h",
                prediction=0.0082,
                confidence=0.6,
                now=T0,
                tradable=tradable,
            )
        )
    assert engine.run_once() == 3
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert last.reasons == ("no live model for ETHUSD",)
    assert last.inputs["confidence"] == 0.6


def test_stale_inputs_move_to_reducing_on_the_timer_alone(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=T0)
    )
    engine.run_once()
    assert engine.last_decision is not None
    assert engine.last_decision.state.value == "active"
    published = len(risk_updates(bus))
    clock.advance(PARAMETERS.stale_market_data_seconds + 1)
    assert engine.run_once() == 0, "no input arrived"
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert last.state == "reducing"
    assert "stale_market_data" in last.reasons
    assert len(risk_updates(bus)) == published + 1


def test_timer_publishes_changes_and_heartbeats_only(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=T0)
    )
    engine.run_once()
    count = len(risk_updates(bus))
    clock.advance(5)
    engine.tick()
    assert len(risk_updates(bus)) == count, "unchanged decision, heartbeat not due"
    clock.advance(30)
    engine.tick()
    assert len(risk_updates(bus)) == count + 1, "heartbeat"


def test_restart_keeps_the_latch_and_rearm_via_config(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=T0)
    )
    clock.advance(60)
    bus.publish(PortfolioSnapshot.create(equity=80_000.0, cash=80_000.0, now=clock.now))
    engine.run_once()
    assert engine.last_decision is not None
    assert engine.last_decision.state.value == "halted"

    restarted = make_engine(bus, clock, store)
    assert "drawdown_limit" in restarted.monitor.controller.latched
    clock.advance(60)
    bus.publish(
        ForecastUpdate.create(
            asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=clock.now
        )
    )
    restarted.run_once()
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert last.state == "halted"
    assert last.risk_factor == 0.0

    bus.publish(
        StrategyConfigUpdate.create(
            key=REARM_KEY,
            value={"breaker": "drawdown_limit", "reason": "reviewed", "by": "ops"},
            version=1,
            changed_by="service",
            now=clock.now,
        )
    )
    restarted.run_once()
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert last.state == "active"
    assert [record.by for record in restarted.monitor.controller.rearms] == ["ops"]


def test_strategy_config_changes_parameters_and_bad_values_are_refused_like_lean(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish(
        StrategyConfigUpdate.create(
            key="low_confidence_threshold", value=0.9, version=2, changed_by="ops", now=T0
        )
    )
    bus.publish(
        StrategyConfigUpdate.create(
            key="drawdown_multiplier", value=7, version=3, changed_by="ops", now=T0
        )
    )
    for _ in range(4):
        engine.run_once()
    assert engine.parameters.low_confidence_threshold == 0.9
    # The value is out of range: refused with the allowed range and the old value kept,
    # by the same settings object LEAN's models use (no dead letter: the message is valid).
    assert engine.parameters.drawdown_multiplier == PARAMETERS.drawdown_multiplier
    assert bus.dead_letters(STRATEGY_CONFIG) == []
    refused = [
        r.getMessage() for r in caplog.records if "strategy_config_refused" in r.getMessage()
    ]
    assert len(refused) == 1
    assert "key=drawdown_multiplier" in refused[0]
    assert f"kept={PARAMETERS.drawdown_multiplier!r}" in refused[0]


def test_malformed_forecast_is_dead_lettered_and_engine_continues(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    bus.publish_payload(FORECAST_UPDATES, "bad", b'{"type":"forecast_update","asset":"X"}')
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.45, now=T0)
    )
    assert engine.run_once() == 2
    assert len(bus.dead_letters(FORECAST_UPDATES)) == 1
    last = bus.last(RISK_UPDATES)
    assert isinstance(last, RiskUpdate)
    assert "low_confidence" in last.reasons


def test_horizon_length() -> None:
    assert horizon_length("4h") == timedelta(hours=4)
    assert horizon_length("1d") == timedelta(days=1)
    assert horizon_length("15m") == timedelta(minutes=15)
    with pytest.raises(ValueError, match="horizon"):
        horizon_length("soon")


def test_prices_from_a_lean_data_folder_feed_the_volatility_rule(
    tmp_path: Path, setup: tuple[InMemoryBus, Clock, MemoryStateStore]
) -> None:
    import numpy as np
    import pandas as pd

    from engines.risk.price_feed import LeanPriceFeed, LeanPriceFeedConfig
    from market_data.lean import write_bars

    rng = np.random.default_rng(11)
    returns = np.concatenate([rng.normal(0, 0.002, 300), rng.normal(0, 0.02, 20)])
    close = 100.0 * np.cumprod(1.0 + returns)
    index = pd.DatetimeIndex(pd.date_range("2025-03-20", periods=len(close), freq="h"), name="time")
    bars = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1.0}, index=index
    )
    write_bars(
        tmp_path,
        bars,
        security_type="crypto",
        market="binance",
        symbol="BTCUSDT",
        resolution="hour",
    )

    bus, clock, store = setup
    clock.now = (index[-1] + pd.Timedelta(hours=1)).tz_localize("UTC").to_pydatetime()
    feed = LeanPriceFeed(
        LeanPriceFeedConfig(tmp_path, "crypto", "binance", ("BTCUSDT",), "hour", timedelta(days=30))
    )
    engine = RiskEngine(
        bus,
        RiskEngineConfig(
            block_ms=0, monitor=RiskMonitorConfig(bar_seconds=1800.0, use_garch=False)
        ),
        clock=clock,
        state_store=store,
        parameters=PARAMETERS,
        price_feed=feed,
    )
    engine.tick()
    decision = engine.last_decision
    assert decision is not None
    assert decision.inputs["volatility_ratio"] > 2.0
    assert "high_volatility" in decision.reasons
    assert feed.poll(clock.now) == [], "bars are returned once"


def test_metrics_follow_decisions_and_dead_letters(
    setup: tuple[InMemoryBus, Clock, MemoryStateStore],
) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    bus, clock, store = setup
    engine = make_engine(bus, clock, store)
    processed = value(
        "ats_messages_processed_total", component="risk-engine", channel=FORECAST_UPDATES
    )
    dead = value("ats_dead_letters_total", component="risk-engine", channel=FORECAST_UPDATES)
    bus.publish_payload(FORECAST_UPDATES, "bad", b"not json")
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.5, now=T0)
    )
    engine.run_once()
    decision = engine.last_decision
    assert decision is not None
    assert value("ats_risk_factor") == pytest.approx(decision.risk_factor)
    assert value("ats_risk_state", state=decision.state.value) == 1.0
    assert (
        value("ats_messages_processed_total", component="risk-engine", channel=FORECAST_UPDATES)
        == processed + 1
    )
    assert (
        value("ats_dead_letters_total", component="risk-engine", channel=FORECAST_UPDATES)
        == dead + 1
    )


class CountingStore(MemoryStateStore):
    def __init__(self) -> None:
        super().__init__()
        self.saves = 0

    def save(self, state: dict[str, object]) -> None:
        self.saves += 1
        super().save(state)


def test_durable_changes_are_saved_at_once_freshness_on_the_timer() -> None:
    bus, clock, store = InMemoryBus(), Clock(), CountingStore()
    engine = make_engine(bus, clock, store)
    bus.publish(PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=T0))
    bus.publish(
        ForecastUpdate.create(asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=T0)
    )
    engine.run_once()
    saves = store.saves
    assert saves >= 1  # the first decision and the high-water mark are durable

    # Forecasts that leave the decision as it is: published at once, saved on the timer.
    for _ in range(5):
        clock.advance(1)
        bus.publish(
            ForecastUpdate.create(
                asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=clock.now
            )
        )
        for consumer in engine.consumers:
            consumer.run_once()
    assert store.saves == saves
    assert len(risk_updates(bus)) >= 6
    engine.tick()
    assert store.saves == saves + 1
    assert store.saved is not None
    assert store.saved["monitor"]["last_forecast_at"] == clock.now.isoformat()

    # A drawdown trip is durable: saved before the next tick.
    clock.advance(1)
    bus.publish(PortfolioSnapshot.create(equity=80_000.0, cash=80_000.0, now=clock.now))
    for consumer in engine.consumers:
        consumer.run_once()
    assert store.saves == saves + 2
    latched = [trip["breaker"] for trip in store.saved["monitor"]["controller"]["latched"]]
    assert latched == ["drawdown_limit"]
