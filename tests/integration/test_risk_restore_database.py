"""The risk engine restores its breaker latches and last decision from the database.

Real PostgreSQL (pytest-django) and the real Redis server, in a namespace of its own. The
engine publishes its risk updates on the bus, the stream recorder's own consumers and
handlers store them (and the portfolio snapshots) as in production, then the engine starts
again with its Redis state deleted, corrupt or older than the database.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest

from ats.cli.risk import database_configured, run_command
from backend.embedded import risk_engine_state_load
from backend.recorder.handlers import DatabaseStore
from backend.risk.models import BreakerState
from backend.risk.services import risk_rearm
from backend.strategy.services import strategy_config_update
from engines.recorder.runner import Recorder, RecorderConfig
from engines.risk.engine import REARM_KEY, RiskEngine, RiskEngineConfig
from engines.risk.state_store import FallbackStateStore, RedisStateStore, state_key
from risk_models.breakers import DRAWDOWN_LIMIT, STALE_FORECASTS
from risk_models.decision import RiskDecision
from risk_models.parameters import StrategyParameters
from signal_bus.channels import EXECUTION_EVENTS, RISK_UPDATES
from signal_bus.messages import PortfolioSnapshot, RiskUpdate, StrategyConfigUpdate
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ATS = Path(sys.executable).parent / "ats"
PARAMETERS = StrategyParameters().replace(state_min_dwell_seconds=0.0)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class System:
    """A restartable risk engine and the recorder's consumers, on one bus namespace."""

    def __init__(self, namespace: str) -> None:
        self.bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        self.key = state_key(namespace)
        self.clock = Clock()
        self.recorder = Recorder(
            bus=self.bus,
            store=DatabaseStore(),
            config=RecorderConfig(
                channels=(RISK_UPDATES, EXECUTION_EVENTS),
                group="test-recorder",
                consumer="recorder-1",
                block_ms=0,
            ),
        )
        self.store = self._store()
        self.engine = self.start()

    def _store(self) -> FallbackStateStore:
        return FallbackStateStore(
            RedisStateStore(self.bus.client, self.key),
            risk_engine_state_load,
            base_parameters=PARAMETERS.as_dict(),
        )

    def start(self) -> RiskEngine:
        """Start the engine (again): it restores its state as ``ats risk run`` does."""
        self.store = self._store()
        self.engine = RiskEngine(
            self.bus,
            RiskEngineConfig(),
            clock=self.clock,
            state_store=self.store,
            parameters=PARAMETERS,
        )
        return self.engine

    def equity(self, value: float) -> None:
        """A portfolio snapshot a minute later: published (for the recorder) and handled."""
        snapshot = PortfolioSnapshot.create(equity=value, cash=value, now=self.clock.advance(60))
        self.bus.publish(snapshot)
        self.engine.handle(snapshot)

    def trip_drawdown(self) -> None:
        """100,000 -> 80,000 (a 20 % drawdown trips the 15 % halt), then back to 90,000."""
        for value in (100_000.0, 80_000.0, 90_000.0):
            self.equity(value)
        assert DRAWDOWN_LIMIT in self.engine.monitor.controller.latched

    def record(self) -> int:
        """Store everything published so far with the recorder's consumers; return how many."""
        stored = 0
        for consumer in self.recorder.consumers:
            while count := consumer.run_once():
                stored += count
        return stored

    def redis_state(self) -> bytes | None:
        value = self.bus.client.get(self.key)
        assert value is None or isinstance(value, bytes)
        return value

    def close(self) -> None:
        self.bus.close()


@pytest.fixture
def system() -> Iterator[System]:
    with redis_namespace(prefix="test-restore") as namespace:
        running = System(namespace)
        yield running
        running.close()


def operator(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="risk-operator", password="a-test-pw-1")


@pytest.mark.django_db
def test_tripped_breaker_restored_from_database_when_redis_lost_its_state(system: System) -> None:
    system.trip_drawdown()
    strategy_config_update(
        values={"max_allocation": 0.1}, changed_by="risk-operator", reason="smaller book"
    )
    before = system.engine.monitor
    assert system.record() == 6  # three snapshots, three risk updates
    # The stale-forecast breaker was named (no forecast yet) but clears by itself: not latched.
    assert BreakerState.objects.get(name=STALE_FORECASTS).state == BreakerState.TRIPPED
    assert set(before.controller.latched) == {DRAWDOWN_LIMIT}

    system.bus.client.delete(system.key)
    restarted = system.start()

    assert system.store.source == "database"
    after = restarted.monitor
    assert after.controller.latched == before.controller.latched  # breaker, trip time, inputs
    assert after.controller.last_decision == before.controller.last_decision
    assert after.controller.to_dict()["state"] == "halted"
    assert after.controller.to_dict()["state_since"] == before.controller.to_dict()["state_since"]
    assert after.drawdown.drawdown == pytest.approx(0.1)
    assert after.drawdown.high_water_mark == pytest.approx(100_000.0)
    assert after.drawdown.equity == 90_000.0
    assert after.to_dict()["last_market_data_at"] == before.to_dict()["last_market_data_at"]
    # Parameters: the operator's value over the engine's starting ones.
    assert restarted.parameters.max_allocation == 0.1
    assert restarted.parameters.state_min_dwell_seconds == 0.0

    decision = restarted.tick()
    assert decision.state.value == "halted"
    assert decision.risk_factor == 0.0
    assert DRAWDOWN_LIMIT in decision.reasons
    published = system.bus.last(RISK_UPDATES)
    assert isinstance(published, RiskUpdate)
    assert published.state == "halted"


@pytest.mark.django_db
def test_operator_rearm_recorded_after_the_trip_restores_the_breaker_armed(
    system: System, django_user_model: Any
) -> None:
    system.trip_drawdown()
    system.record()
    last = system.engine.last_decision
    risk_rearm(
        breaker=DRAWDOWN_LIMIT,
        reason="drawdown reviewed",
        user=operator(django_user_model),
        now=system.clock.advance(60),
    )

    system.bus.client.delete(system.key)
    restarted = system.start()

    assert system.store.source == "database"
    assert restarted.monitor.controller.latched == {}
    assert restarted.last_decision == last
    # As the engine does on a re-arm, the high-water mark restarts at the current equity.
    assert restarted.monitor.drawdown.drawdown == 0.0
    decision = restarted.tick()
    assert decision.state.value != "halted"
    assert DRAWDOWN_LIMIT not in decision.reasons


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    [
        b"not json",
        b"[1, 2]",
        b'{"monitor": {"controller": {"latched": [{"breaker": "no_such_breaker"}]}}}',
    ],
    ids=["not-json", "not-an-object", "not-a-state"],
)
def test_corrupt_redis_value_falls_back_to_the_database(system: System, value: bytes) -> None:
    system.trip_drawdown()
    system.record()
    trip = system.engine.monitor.controller.latched[DRAWDOWN_LIMIT]
    system.bus.client.set(system.key, value)

    restarted = system.start()

    assert system.store.source == "database"
    assert restarted.monitor.controller.latched == {DRAWDOWN_LIMIT: trip}
    restarted.tick()
    saved = RedisStateStore(system.bus.client, system.key).load()  # the engine wrote it again
    assert saved is not None
    assert [item["breaker"] for item in saved["monitor"]["controller"]["latched"]] == [
        DRAWDOWN_LIMIT
    ]


@pytest.mark.django_db
def test_redis_state_older_than_a_recorded_trip_keeps_the_breaker_tripped(
    system: System, caplog: pytest.LogCaptureFixture
) -> None:
    system.equity(100_000.0)
    old_snapshot = system.redis_state()  # e.g. Redis restored from an old backup
    assert old_snapshot is not None
    system.trip_drawdown()
    system.record()
    trip = system.engine.monitor.controller.latched[DRAWDOWN_LIMIT]
    system.bus.client.set(system.key, old_snapshot)

    with caplog.at_level(logging.WARNING, logger="engines.risk.state_store"):
        restarted = system.start()

    assert system.store.source == "redis"
    assert system.store.kept_from_database == (DRAWDOWN_LIMIT,)
    assert restarted.monitor.controller.latched == {DRAWDOWN_LIMIT: trip}
    assert "risk_state_breaker_kept_tripped breaker=drawdown_limit" in caplog.text
    assert restarted.tick().state.value == "halted"


@pytest.mark.django_db
def test_redis_state_newer_than_the_database_wins(system: System, django_user_model: Any) -> None:
    system.trip_drawdown()
    system.record()
    # The engine re-arms; the recorder has not stored the decisions since (database: tripped).
    system.engine.handle(
        StrategyConfigUpdate.create(
            key=REARM_KEY,
            value={"breaker": DRAWDOWN_LIMIT, "reason": "reviewed", "by": "risk-operator"},
            version=1,
            changed_by="risk-operator",
            reason="reviewed",
            now=system.clock.advance(60),
        )
    )
    assert BreakerState.objects.get(name=DRAWDOWN_LIMIT).state == BreakerState.TRIPPED

    restarted = system.start()

    assert system.store.source == "redis"
    assert system.store.kept_from_database == ()
    assert restarted.monitor.controller.latched == {}
    assert [record.breaker for record in restarted.monitor.controller.rearms] == [DRAWDOWN_LIMIT]


@pytest.mark.django_db
def test_latch_in_redis_stays_when_the_database_shows_a_later_rearm(
    system: System, django_user_model: Any
) -> None:
    system.trip_drawdown()
    system.record()
    # The re-arm never reached the engine (published while it was down): fail safe, keep it.
    risk_rearm(
        breaker=DRAWDOWN_LIMIT,
        reason="reviewed",
        user=operator(django_user_model),
        now=system.clock.advance(60),
    )
    assert BreakerState.objects.get(name=DRAWDOWN_LIMIT).state == BreakerState.ARMED

    restarted = system.start()

    assert system.store.source == "redis"
    assert DRAWDOWN_LIMIT in restarted.monitor.controller.latched


@pytest.mark.django_db
def test_nothing_saved_anywhere_starts_fresh(system: System) -> None:
    assert risk_engine_state_load() is None
    assert system.store.load() is None
    assert system.store.source is None
    assert system.engine.last_decision is None
    assert system.engine.monitor.controller.latched == {}


def test_database_option_default_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert database_configured({"DATABASE_URL": "postgres://db/ats"})
    assert database_configured({"DB_HOST": "db"})
    assert not database_configured({"DATABASE_URL": "", "DB_SQLITE_PATH": "x.sqlite3"})

    option = next(param for param in run_command.params if param.name == "restore_from_database")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_HOST", raising=False)
    assert option.get_default(click.Context(run_command)) is False
    monkeypatch.setenv("DB_HOST", "db")
    assert option.get_default(click.Context(run_command)) is True


# ---------------------------------------------------------------- ats risk run


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())


class EngineProcess:
    """``ats risk run --restore-from-database`` as a subprocess, logging to a file."""

    def __init__(self, namespace: str, environment: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(ATS), "risk", "run", "--redis-url", SHARED_REDIS_URL,
                 "--namespace", namespace, "--restore-from-database", "--tick-seconds", "0.2",
                 "--parameter", "state_min_dwell_seconds=0"],
                env=environment, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def first_update(self, bus: RedisBus, after: datetime) -> RiskUpdate:
        def published() -> RiskUpdate | None:
            message = bus.last(RISK_UPDATES)
            ok = isinstance(message, RiskUpdate) and message.ts_init > after
            return message if ok else None

        if not wait_until(published, 60.0):
            self.stop()
            pytest.fail(f"the engine published nothing:\n{self.log.read_text()[-3000:]}")
        update = published()
        assert update is not None
        return update

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text()


def tripped_in_redis(namespace: str) -> None:
    """Leave a tripped drawdown breaker in Redis, as a running engine saves it."""
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    try:
        engine = RiskEngine(
            bus,
            RiskEngineConfig(),
            clock=lambda: datetime.now(UTC),
            state_store=RedisStateStore(bus.client, state_key(namespace)),
            parameters=PARAMETERS,
        )
        for value in (100_000.0, 80_000.0):
            engine.handle(PortfolioSnapshot.create(equity=value, cash=value, now=datetime.now(UTC)))
        assert DRAWDOWN_LIMIT in engine.monitor.controller.latched
    finally:
        bus.close()


@pytest.mark.slow
def test_unreachable_database_does_not_stop_the_engine(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DB_HOST", "DATABASE_URL", "LOG_LEVEL"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "backend.settings.development",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/ats",
    }
    with redis_namespace(prefix="test-restore-cli") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        try:
            tripped_in_redis(namespace)

            # Redis has the state: the engine starts from it and warns about the database.
            started = datetime.now(UTC)
            engine = EngineProcess(namespace, environment, tmp_path / "with-redis.log")
            update = engine.first_update(bus, started)
            log = engine.stop()
            assert update.state == "halted"
            assert DRAWDOWN_LIMIT in update.reasons
            assert "risk_state_database_unusable" in log
            assert "risk_state_unavailable" not in log

            # Redis lost it too: the engine starts armed and says so as an error.
            bus.client.delete(state_key(namespace))
            started = datetime.now(UTC)
            engine = EngineProcess(namespace, environment, tmp_path / "without-redis.log")
            update = engine.first_update(bus, started)
            log = engine.stop()
            assert DRAWDOWN_LIMIT not in update.reasons
            error_lines = [line for line in log.splitlines() if "risk_state_unavailable" in line]
            assert error_lines
            assert "error" in error_lines[0].lower()
        finally:
            bus.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ats_risk_run_restores_the_breaker_from_the_database(
    system: System, tmp_path: Path
) -> None:
    from django.db import connection

    system.trip_drawdown()
    system.record()
    trip = system.engine.monitor.controller.latched[DRAWDOWN_LIMIT]
    system.bus.client.delete(system.key)
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DB_HOST", "DATABASE_URL", "LOG_LEVEL"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "TEST_DB_NAME": str(connection.settings_dict["NAME"]),
    }
    namespace = system.key.removesuffix(":risk_engine:state")

    started = datetime.now(UTC)
    engine = EngineProcess(namespace, environment, tmp_path / "engine.log")
    update = engine.first_update(system.bus, started)
    log = engine.stop()

    assert update.state == "halted", log[-3000:]
    assert DRAWDOWN_LIMIT in update.reasons
    assert "risk_state_loaded source=database" in log
    saved = RedisStateStore(system.bus.client, system.key).load()
    assert saved is not None
    (latched,) = saved["monitor"]["controller"]["latched"]
    assert datetime.fromisoformat(latched["tripped_at"]) == trip.tripped_at
    assert RiskDecision.from_dict(saved["monitor"]["controller"]["last_decision"]).state.value == (
        "halted"
    )
