"""The risk engine against the real Redis server, in a namespace of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from engines.risk.engine import RiskEngine, RiskEngineConfig
from engines.risk.state_store import RedisStateStore, state_key
from risk_models.parameters import StrategyParameters
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.messages import ForecastUpdate, PortfolioSnapshot, RiskUpdate
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

pytestmark = pytest.mark.redis

PARAMETERS = StrategyParameters().replace(state_min_dwell_seconds=0.0)


class Clock:
    """Wall-clock time plus an offset the test can move forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


class RunningEngine:
    def __init__(self, namespace: str, clock: Clock) -> None:
        self.bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        self.engine = RiskEngine(
            self.bus,
            RiskEngineConfig(tick_seconds=0.1, block_ms=100, handler_retry_delay_s=0.05),
            clock=clock,
            state_store=RedisStateStore(self.bus.client, state_key(namespace)),
            parameters=PARAMETERS,
        )
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=self.engine.run_forever, args=(self.stop,), daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()
        self.bus.close()


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(prefix="test-risk") as name:
        yield name


@pytest.fixture
def publisher(namespace: str) -> Iterator[RedisBus]:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    yield bus
    bus.close()


def last_update(bus: RedisBus) -> RiskUpdate | None:
    message = bus.last(RISK_UPDATES)
    assert message is None or isinstance(message, RiskUpdate)
    return message


def test_forecast_in_risk_update_out_and_malformed_dead_lettered(
    namespace: str, publisher: RedisBus
) -> None:
    clock = Clock()
    running = RunningEngine(namespace, clock)
    try:
        publisher.publish(PortfolioSnapshot.create(equity=1e5, cash=1e5, now=clock()))
        publisher.publish_payload(
            FORECAST_UPDATES, "bad", b'{"type":"forecast_update","asset":"BTCUSD"}'
        )
        publisher.publish(
            ForecastUpdate.create(
                asset="BTCUSD", horizon="4h", prediction=0.0082, confidence=0.45, now=clock()
            )
        )
        assert until(
            lambda: (u := last_update(publisher)) is not None and "low_confidence" in u.reasons
        )
        update = last_update(publisher)
        assert update is not None
        assert update.risk_factor == pytest.approx(0.8)
        assert update.state == "active"
        assert until(lambda: len(publisher.dead_letters(FORECAST_UPDATES)) == 1)
        assert "BTCUSD" in publisher.dead_letters(FORECAST_UPDATES)[0].payload.decode()
    finally:
        running.close()


def test_restart_keeps_latch_and_stale_inputs_reduce_on_timer(
    namespace: str, publisher: RedisBus
) -> None:
    clock = Clock()
    running = RunningEngine(namespace, clock)
    try:
        publisher.publish(PortfolioSnapshot.create(equity=1e5, cash=1e5, now=clock()))
        publisher.publish(
            ForecastUpdate.create(
                asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=clock()
            )
        )
        assert until(lambda: (u := last_update(publisher)) is not None and u.state == "active")
        publisher.publish(PortfolioSnapshot.create(equity=8e4, cash=8e4, now=clock()))
        assert until(lambda: (u := last_update(publisher)) is not None and u.state == "halted")
    finally:
        running.close()

    restarted = RunningEngine(namespace, clock)
    try:
        assert "drawdown_limit" in restarted.engine.monitor.controller.latched
        publisher.publish(
            ForecastUpdate.create(
                asset="SPY", horizon="1d", prediction=0.01, confidence=0.9, now=clock()
            )
        )
        time.sleep(0.5)
        update = last_update(publisher)
        assert update is not None
        assert update.state == "halted"
        assert update.risk_factor == 0.0
    finally:
        restarted.close()


def test_stale_inputs_reduce_on_the_timer_alone(namespace: str, publisher: RedisBus) -> None:
    clock = Clock()
    running = RunningEngine(namespace, clock)
    try:
        publisher.publish(PortfolioSnapshot.create(equity=1e5, cash=1e5, now=clock()))
        publisher.publish(
            ForecastUpdate.create(
                asset="SPY", horizon="1d", prediction=0.01, confidence=0.8, now=clock()
            )
        )
        assert until(lambda: (u := last_update(publisher)) is not None and u.state == "active")
        clock.offset = timedelta(seconds=PARAMETERS.stale_market_data_seconds + 5)
        assert until(lambda: (u := last_update(publisher)) is not None and u.state == "reducing")
        update = last_update(publisher)
        assert update is not None
        assert "stale_market_data" in update.reasons
    finally:
        running.close()
