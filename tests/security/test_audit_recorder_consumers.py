"""Defect 10: dead recorder consumers are deleted from the group once their messages are claimed."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import settings

from backend.recorder.handlers import DatabaseStore
from engines.recorder.consumers import idle_consumers_delete
from engines.recorder.runner import Recorder, RecorderConfig
from signal_bus import RedisBus
from signal_bus.channels import FORECAST_UPDATES
from tests.backend.conftest import _private_bus, bus_namespace  # noqa: F401
from tests.backend.recorder.test_recorder import forecasts

GROUP = "backend-recorder"


@pytest.fixture
def bus(bus_namespace: str) -> Iterator[RedisBus]:  # noqa: F811
    redis_bus = RedisBus(url=settings.REDIS_URL, namespace=bus_namespace)
    yield redis_bus
    redis_bus.close()


def _consumers(bus: RedisBus) -> dict[str, int]:
    infos = bus.client.xinfo_consumers(bus.names.stream(FORECAST_UPDATES), GROUP)
    return {
        (info["name"].decode() if isinstance(info["name"], bytes) else info["name"]): int(
            info["pending"]
        )
        for info in infos
    }


def test_idle_consumers_without_pending_messages_are_deleted(bus: RedisBus) -> None:
    bus.ensure_group(FORECAST_UPDATES, GROUP)
    for message in forecasts(3):
        bus.publish(message)
    # A consumer that died holding messages, and one that died with none.
    bus.read_group(FORECAST_UPDATES, GROUP, "dead-with-work", count=2, block_ms=0, pending=False)
    bus.read_group(FORECAST_UPDATES, GROUP, "dead-idle", count=1, block_ms=0, pending=False)
    bus.acknowledge(
        FORECAST_UPDATES,
        GROUP,
        [
            e.entry_id
            for e in bus.read_group(
                FORECAST_UPDATES, GROUP, "dead-idle", count=5, block_ms=0, pending=True
            )
        ],
    )
    assert _consumers(bus) == {"dead-with-work": 2, "dead-idle": 0}
    deleted = idle_consumers_delete(
        bus=bus, channel=FORECAST_UPDATES, group=GROUP, min_idle_ms=0, keep={"alive"}
    )
    assert deleted == ["dead-idle"]
    assert _consumers(bus) == {"dead-with-work": 2}  # its messages wait to be claimed


@pytest.mark.django_db(transaction=True)
def test_the_recorder_claims_then_deletes_dead_consumers(bus: RedisBus, bus_namespace: str) -> None:  # noqa: F811
    bus.ensure_group(FORECAST_UPDATES, GROUP)
    for message in forecasts(4):
        bus.publish(message)
    bus.read_group(FORECAST_UPDATES, GROUP, "killed-1", count=4, block_ms=0, pending=False)
    recorder = Recorder(
        bus=bus,
        store=DatabaseStore(),
        config=RecorderConfig(
            channels=(FORECAST_UPDATES,),
            group=GROUP,
            consumer="alive",
            block_ms=50,
            claim_idle_ms=0,
            metrics_interval_s=0.05,
            consumer_delete_idle_ms=0,
            consumer_cleanup_interval_s=0.05,
        ),
    )
    recorder.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and set(_consumers(bus)) != {"alive"}:
            time.sleep(0.05)
    finally:
        recorder.stop()
    assert _consumers(bus) == {"alive": 0}
    assert recorder.processed() == 4
