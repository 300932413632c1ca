"""The stream recorder: every message stored exactly once across kills and lost database connections."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from backend.execution.models import PortfolioSnapshot as SnapshotRow
from backend.execution.selectors import order_list
from backend.forecasts.models import Forecast
from backend.risk.models import RiskDecision
from signal_bus.messages import ForecastUpdate, OrderEvent, PortfolioSnapshot, RiskUpdate
from signal_bus.redis_bus import RedisBus

pytestmark = pytest.mark.django_db(transaction=True)
MANAGE = Path(__file__).resolve().parents[3] / "backend" / "manage.py"
START = datetime(2025, 4, 5, tzinfo=UTC)


def forecasts(count: int, offset: int = 0) -> list[ForecastUpdate]:
    return [
        ForecastUpdate(
            id=f"rec-{index}",
            ts_event=START + timedelta(minutes=index),
            ts_init=START + timedelta(minutes=index),
            asset=("BTCUSD", "ETHUSD", "SPY")[index % 3],
            horizon="1h",
            prediction=0.001 * (index % 7 - 3),
            confidence=0.5 + (index % 5) / 10,
            model="lightgbm",
            model_version="v2",
        )
        for index in range(offset, offset + count)
    ]


@pytest.fixture
def bus(bus_namespace: str) -> Iterator[RedisBus]:
    redis_bus = RedisBus(url=settings.REDIS_URL, namespace=bus_namespace)
    yield redis_bus
    redis_bus.close()


@pytest.fixture
def start_recorder(bus_namespace: str) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    processes: list[subprocess.Popen[bytes]] = []
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "TEST_DB_NAME": connection.settings_dict["NAME"],
        "REDIS_URL": settings.REDIS_URL,
        "LOG_LEVEL": "WARNING",
    }

    def start(consumer: str, *extra: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "record_streams", "--namespace", bus_namespace, "--consumer", consumer,
             "--batch-size", "50", "--block-ms", "100", "--claim-idle-ms", "500", *extra],
            env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def test_records_every_channel(bus: RedisBus, start_recorder: Any) -> None:
    for message in forecasts(20):
        bus.publish(message)
    bus.publish(
        RiskUpdate.create(risk_factor=0.5, now=START, state="reducing", reasons=["stale_forecasts"])
    )
    bus.publish(
        OrderEvent.create(
            order_id=3,
            symbol="SPY",
            status="filled",
            direction="buy",
            quantity=2,
            now=START,
            fill_price=10,
            fill_quantity=2,
            tag="rec-1",
        )
    )
    bus.publish(PortfolioSnapshot.create(equity=1000.0, cash=500.0, now=START, holdings={"SPY": 2}))
    bus.publish_payload(
        "forecast_updates", "", b'{"type": "forecast_update", "asset": 1}'
    )  # malformed
    bus.publish(  # too long to store
        ForecastUpdate.create(
            asset="X" * 41, horizon="1h", prediction=0.1, confidence=0.6, now=START
        )
    )
    recorder = start_recorder("only")
    assert wait_until(
        lambda: Forecast.objects.count() == 20 and SnapshotRow.objects.count() == 1, timeout=30
    )
    assert RiskDecision.objects.get().state == "reducing"
    order = order_list().get()
    assert (order.forecast_message_id, order.lineage_model, order.lineage_version) == (
        "rec-1",
        "lightgbm",
        "v2",
    )
    assert wait_until(lambda: len(bus.dead_letters("forecast_updates")) == 2, timeout=10), (
        bus.dead_letters("forecast_updates")
    )
    reasons = sorted(letter.reason for letter in bus.dead_letters("forecast_updates"))
    assert any("at most 40 characters" in reason for reason in reasons), reasons
    assert recorder.poll() is None


def test_killed_mid_stream_then_restarted_stores_each_message_once(
    bus: RedisBus, start_recorder: Any
) -> None:
    total = 3000
    for message in forecasts(total):
        bus.publish(message)
    first = start_recorder("first")
    assert wait_until(lambda: Forecast.objects.count() > 0, timeout=30, interval=0.005)
    first.send_signal(signal.SIGKILL)
    first.wait()
    stored_before_restart = Forecast.objects.count()
    assert 0 < stored_before_restart < total, "the recorder must be killed mid-stream"
    start_recorder("second")  # takes over the first one's pending batch after claim-idle
    assert wait_until(lambda: Forecast.objects.count() == total, timeout=90, interval=0.1), (
        Forecast.objects.count()
    )
    ids = set(Forecast.objects.values_list("message_id", flat=True))
    assert ids == {f"rec-{index}" for index in range(total)}
    assert wait_until(
        lambda: bus.pending_count("forecast_updates", "backend-recorder") == 0, timeout=15
    )


def _terminate_recorder_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
        return int(cursor.fetchone()[0])


def test_lost_database_connections_lose_nothing(bus: RedisBus, start_recorder: Any) -> None:
    recorder = start_recorder("resilient", "--workers-per-channel", "2")
    total, chunk, terminated = 1500, 150, 0
    for offset in range(0, total, chunk):
        for message in forecasts(chunk, offset):
            bus.publish(message)
        if offset == 0:
            assert wait_until(lambda: Forecast.objects.count() > 0, timeout=30)
        time.sleep(0.1)
        terminated += _terminate_recorder_connections()
    assert terminated > 0, "the recorder's database connections must have been cut"
    assert wait_until(lambda: Forecast.objects.count() == total, timeout=90, interval=0.1), (
        Forecast.objects.count()
    )
    assert set(Forecast.objects.values_list("message_id", flat=True)) == {
        f"rec-{index}" for index in range(total)
    }
    assert recorder.poll() is None
