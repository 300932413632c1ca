"""The recorder engine on the real Redis server with a store of its own (no Django)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engines.recorder.consumers import idle_consumers_delete
from engines.recorder.runner import Recorder, RecorderConfig
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.messages import RiskUpdate
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.unit.recorder.test_runner import START, ListStore, forecasts, until

pytestmark = pytest.mark.redis
GROUP = "recorder"


@pytest.fixture
def bus() -> Iterator[RedisBus]:
    with redis_namespace(SHARED_REDIS_URL, prefix="test-recorder") as namespace:
        redis_bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        try:
            yield redis_bus
        finally:
            redis_bus.close()


def _consumer_names(bus: RedisBus) -> set[str]:
    infos = bus.client.xinfo_consumers(bus.names.stream(FORECAST_UPDATES), GROUP)
    return {
        info["name"].decode() if isinstance(info["name"], bytes) else info["name"] for info in infos
    }


def test_a_dead_consumers_batch_is_claimed_stored_once_and_the_consumer_deleted(
    bus: RedisBus,
) -> None:
    bus.ensure_group(FORECAST_UPDATES, GROUP)
    bus.ensure_group(RISK_UPDATES, GROUP)
    published = forecasts(40)
    for message in published:
        bus.publish(message)
    bus.publish(RiskUpdate.create(risk_factor=0.25, now=START))
    # A recorder that read ten entries and died before storing them.
    bus.read_group(FORECAST_UPDATES, GROUP, "killed", count=10, block_ms=0, pending=False)
    store = ListStore(failures=1)
    recorder = Recorder(
        bus=bus,
        store=store,
        config=RecorderConfig(
            channels=(FORECAST_UPDATES, RISK_UPDATES),
            group=GROUP,
            consumer="alive",
            batch_size=8,
            block_ms=50,
            claim_idle_ms=0,
            retry_delay_s=0.01,
            metrics_interval_s=0.05,
            consumer_delete_idle_ms=0,
            consumer_cleanup_interval_s=0.05,
        ),
    )
    recorder.start()
    try:
        assert until(lambda: recorder.processed() == 41, timeout=20)
        assert until(lambda: "killed" not in _consumer_names(bus), timeout=20)
    finally:
        recorder.stop()
    stored = [message.id for message in store.stored[FORECAST_UPDATES]]
    assert sorted(stored) == sorted(message.id for message in published)  # each exactly once
    assert len(store.stored[RISK_UPDATES]) == 1
    assert bus.pending_count(FORECAST_UPDATES, GROUP) == 0
    assert _consumer_names(bus) <= recorder.consumer_names()
    # The recorder's own consumers are never deleted, however idle.
    assert idle_consumers_delete(
        bus=bus, channel=FORECAST_UPDATES, group=GROUP, min_idle_ms=0,
        keep=recorder.consumer_names(),
    ) == []  # fmt: skip
