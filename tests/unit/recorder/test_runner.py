"""The recorder engine on the in-memory bus with a store of its own: no Django anywhere."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from engines.recorder.runner import METRICS_COMPONENT, Recorder, RecorderConfig
from signal_bus.bus import Bus
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.group_consumer import BatchHandler
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import ForecastUpdate, Message, RiskUpdate

START = datetime(2025, 4, 5, tzinfo=UTC)


class ListStore:
    """Keeps every stored batch in memory; fails the first ``failures`` batches of a channel."""

    def __init__(self, failures: int = 0) -> None:
        self.stored: dict[str, list[Message]] = {}
        self.handlers: list[tuple[str, str, str]] = []
        self.finished_threads = 0
        self._failures = failures
        self._lock = threading.Lock()

    def batch_handler_for(
        self, channel: str, *, bus: Bus, group: str, consumer: str
    ) -> BatchHandler:
        self.handlers.append((channel, group, consumer))

        def handle(messages: Sequence[Message]) -> None:
            with self._lock:
                if self._failures > 0:
                    self._failures -= 1
                    raise RuntimeError("the store is down")
                self.stored.setdefault(channel, []).extend(messages)

        return handle

    def thread_finished(self) -> None:
        with self._lock:
            self.finished_threads += 1


def forecasts(count: int) -> list[ForecastUpdate]:
    return [
        ForecastUpdate.create(
            asset="SPY",
            horizon="1h",
            prediction=0.001,
            confidence=0.6,
            now=START + timedelta(minutes=index),
        )
        for index in range(count)
    ]


def until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _processed_metric(channel: str) -> float:
    labels = {"component": METRICS_COMPONENT, "channel": channel}
    return REGISTRY.get_sample_value("ats_messages_processed_total", labels) or 0.0


def test_every_channel_is_stored_in_batches_and_acknowledged() -> None:
    bus, store = InMemoryBus(), ListStore()
    config = RecorderConfig(
        channels=(FORECAST_UPDATES, RISK_UPDATES),
        group="recorder",
        consumer="one",
        batch_size=7,
        block_ms=20,
        metrics_interval_s=0.02,
    )
    recorder = Recorder(bus=bus, config=config, store=store)
    for channel in config.channels:
        bus.ensure_group(channel, config.group)
    before = _processed_metric(FORECAST_UPDATES)
    published = forecasts(30)
    for message in published:
        bus.publish(message)
    bus.publish(RiskUpdate.create(risk_factor=0.5, now=START))
    recorder.start()
    try:
        assert until(lambda: recorder.processed() == 31)
    finally:
        recorder.stop()
    assert [m.id for m in store.stored[FORECAST_UPDATES]] == [m.id for m in published]
    assert len(store.stored[RISK_UPDATES]) == 1
    assert bus.pending_count(FORECAST_UPDATES, config.group) == 0
    assert store.finished_threads == 2  # one per consumer thread
    assert _processed_metric(FORECAST_UPDATES) == before + 30


def test_a_failing_batch_stays_pending_and_is_retried() -> None:
    bus, store = InMemoryBus(), ListStore(failures=2)
    config = RecorderConfig(
        channels=(FORECAST_UPDATES,), group="recorder", consumer="one", block_ms=20,
        retry_delay_s=0.01,
    )  # fmt: skip
    recorder = Recorder(bus=bus, config=config, store=store)
    bus.ensure_group(FORECAST_UPDATES, config.group)
    for message in forecasts(5):
        bus.publish(message)
    recorder.start()
    try:
        assert until(lambda: recorder.processed() == 5)
    finally:
        recorder.stop()
    assert len(store.stored[FORECAST_UPDATES]) == 5
    assert recorder.stats()[0].handler_failures == 2


def test_forecasts_get_their_own_number_of_consumers() -> None:
    config = RecorderConfig(
        channels=(FORECAST_UPDATES, RISK_UPDATES), group="g", consumer="host-1", forecast_workers=2
    )
    assert (config.workers_for(FORECAST_UPDATES), config.workers_for(RISK_UPDATES)) == (2, 1)
    store = ListStore()
    recorder = Recorder(bus=InMemoryBus(), config=config, store=store)
    assert [(c.config.channel, c.config.consumer) for c in recorder.consumers] == [
        (FORECAST_UPDATES, "host-1-0"),
        (FORECAST_UPDATES, "host-1-1"),
        (RISK_UPDATES, "host-1"),
    ]
    # Each consumer's handler is told the configured name (dead letters carry it).
    assert store.handlers == [
        (FORECAST_UPDATES, "g", "host-1"),
        (FORECAST_UPDATES, "g", "host-1"),
        (RISK_UPDATES, "g", "host-1"),
    ]
    assert recorder.consumer_names() == {"host-1-0", "host-1-1", "host-1"}
    plain = RecorderConfig(channels=(FORECAST_UPDATES,), group="g", consumer="c")
    assert plain.workers_for(FORECAST_UPDATES) == 1


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("forecast_workers", 0, "forecast_workers"),
        ("workers_per_channel", 0, "workers_per_channel"),
        ("batch_size", 0, "batch_size"),
        ("metrics_interval_s", 0.0, "metrics_interval_s"),
        ("consumer_delete_idle_ms", -1, "consumer_delete_idle_ms"),
        ("consumer_cleanup_interval_s", 0.0, "consumer_cleanup_interval_s"),
        ("channels", (), "channel"),
    ],
)
def test_the_configuration_refuses_impossible_values(field: str, value: object, match: str) -> None:
    settings: dict[str, object] = {"channels": (FORECAST_UPDATES,), "group": "g", "consumer": "c"}
    with pytest.raises(ValueError, match=match):
        RecorderConfig(**{**settings, field: value})  # type: ignore[arg-type]


def test_an_in_memory_bus_has_no_dead_consumers_to_delete() -> None:
    config = RecorderConfig(
        channels=(FORECAST_UPDATES,), group="g", consumer="c", consumer_delete_idle_ms=0
    )
    recorder = Recorder(bus=InMemoryBus(), config=config, store=ListStore())
    assert recorder.dead_consumers_delete() == []
    never = RecorderConfig(
        channels=(FORECAST_UPDATES,), group="g", consumer="c", consumer_delete_idle_ms=None
    )
    assert (
        Recorder(bus=InMemoryBus(), config=never, store=ListStore()).dead_consumers_delete() == []
    )
