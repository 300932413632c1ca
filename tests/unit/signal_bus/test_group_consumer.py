"""GroupConsumer on the in-memory transport: ack after handling, retries, dead letters, claims."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from signal_bus.backoff import BackoffConfig
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import ForecastUpdate, Message

from .factories import NOW
from .test_memory_bus import FakeClock


def _forecast(index: int) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=f"A{index}", horizon="1h", prediction=0.001 * index, confidence=0.5, now=NOW
    )


def _config(consumer: str, **changes: object) -> GroupConsumerConfig:
    values: dict[str, object] = {
        "channel": FORECAST_UPDATES,
        "group": "recorder",
        "consumer": consumer,
        "batch_size": 10,
        "block_ms": 0,
        "claim_idle_ms": 1000,
        "claim_interval_s": 0.0,
        "handler_retry_delay_s": 0.0,
        "backoff": BackoffConfig(initial_delay_s=0.01, max_delay_s=0.02),
    }
    values.update(changes)
    return GroupConsumerConfig(**values)  # type: ignore[arg-type]


def test_handles_then_acknowledges() -> None:
    bus = InMemoryBus()
    seen: list[Message] = []

    def handler(message: Message) -> None:
        # Nothing is acknowledged before the handler has seen it.
        assert bus.pending_count(FORECAST_UPDATES, "recorder") >= 1
        seen.append(message)

    consumer = GroupConsumer(bus, _config("a"), handler=handler)
    consumer.run_once()  # creates the group
    messages = [_forecast(i) for i in range(5)]
    for message in messages:
        bus.publish(message)
    assert consumer.run_once() == 5
    assert seen == messages
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0
    assert consumer.stats.processed == 5
    assert consumer.stats.lag == 0


def test_lag_counts_unread_entries() -> None:
    bus = InMemoryBus()
    consumer = GroupConsumer(bus, _config("a", batch_size=2), handler=lambda message: None)
    consumer.run_once()
    for i in range(5):
        bus.publish(_forecast(i))
    consumer.run_once()
    assert consumer.stats.lag == 3
    consumer.run_once()
    assert consumer.stats.lag == 1


def test_failed_handler_leaves_entries_pending_and_retries() -> None:
    bus = InMemoryBus()
    attempts: dict[str, int] = {}

    def flaky(message: Message) -> None:
        attempts[message.id] = attempts.get(message.id, 0) + 1
        if attempts[message.id] < 3:
            raise RuntimeError("database unavailable")

    consumer = GroupConsumer(bus, _config("a"), handler=flaky)
    consumer.run_once()
    message = _forecast(1)
    bus.publish(message)
    consumer.run_once()
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 1
    consumer.run_once()
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 1
    consumer.run_once()
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0
    assert attempts[message.id] == 3
    stats = consumer.stats
    assert (stats.processed, stats.handler_failures, stats.dead_lettered) == (1, 2, 0)


def test_poison_message_is_dead_lettered_after_limit_while_others_flow() -> None:
    bus = InMemoryBus()
    handled: list[str] = []
    poison = _forecast(99)

    def handler(message: Message) -> None:
        if message.id == poison.id:
            raise ValueError("cannot store")
        handled.append(message.id)

    consumer = GroupConsumer(bus, _config("a", max_handler_failures=2), handler=handler)
    consumer.run_once()
    bus.publish(poison)
    good = [_forecast(i) for i in range(3)]
    for message in good:
        bus.publish(message)
    for _ in range(4):
        consumer.run_once()
    assert handled == [message.id for message in good]
    (letter,) = bus.dead_letters(FORECAST_UPDATES)
    assert letter.field == "handler"
    assert "cannot store" in letter.reason
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0


def test_malformed_entries_go_to_dead_letters_and_valid_ones_flow() -> None:
    bus = InMemoryBus()
    seen: list[Message] = []
    consumer = GroupConsumer(bus, _config("a"), handler=seen.append)
    consumer.run_once()
    bus.publish(_forecast(1))
    bus.publish_payload(FORECAST_UPDATES, "x", b'{"type": "forecast_update", "confidence": 2}')
    bus.publish_payload(FORECAST_UPDATES, "x", b"\x00not json")
    bus.publish(_forecast(2))
    assert consumer.run_once() == 4
    assert [message.key for message in seen] == ["A1:1h", "A2:1h"]
    letters = bus.dead_letters(FORECAST_UPDATES)
    assert [letter.payload for letter in letters] == [
        b'{"type": "forecast_update", "confidence": 2}',
        b"\x00not json",
    ]
    assert all(letter.reason and letter.source_id for letter in letters)
    assert consumer.stats.dead_lettered == 2
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0


def test_batch_handler_failure_keeps_whole_batch() -> None:
    bus = InMemoryBus()
    batches: list[int] = []
    fail = [True]

    def batch_handler(messages: Sequence[Message]) -> None:
        if fail[0]:
            fail[0] = False
            raise RuntimeError("transaction rolled back")
        batches.append(len(messages))

    consumer = GroupConsumer(bus, _config("a"), batch_handler=batch_handler)
    consumer.run_once()
    for i in range(4):
        bus.publish(_forecast(i))
    consumer.run_once()
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 4
    consumer.run_once()
    assert batches == [4]
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0


def test_idle_entries_of_a_dead_consumer_are_claimed() -> None:
    clock = FakeClock()
    bus = InMemoryBus(clock=clock)
    bus.ensure_group(FORECAST_UPDATES, "recorder")
    for i in range(3):
        bus.publish(_forecast(i))
    # Consumer "dead" read the entries and died before acknowledging.
    bus.read_group(FORECAST_UPDATES, "recorder", "dead", count=10, block_ms=0, pending=False)
    seen: list[Message] = []
    survivor = GroupConsumer(bus, _config("survivor"), handler=seen.append, clock=clock)
    assert survivor.run_once() == 0  # not idle long enough
    clock.now += 2.0
    assert survivor.run_once() == 3
    assert [message.key for message in seen] == ["A0:1h", "A1:1h", "A2:1h"]
    assert survivor.stats.reclaimed == 3
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0


def test_run_forever_survives_outage_and_stops_on_event() -> None:
    bus = InMemoryBus()
    seen: list[Message] = []
    got_two = threading.Event()

    def handler(message: Message) -> None:
        seen.append(message)
        if len(seen) == 2:
            got_two.set()

    consumer = GroupConsumer(bus, _config("a", block_ms=20), handler=handler)
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_forever, args=(stop,))
    thread.start()
    try:
        bus.publish(_forecast(1))
        bus.set_available(False)
        threading.Event().wait(0.1)
        bus.set_available(True)
        bus.publish(_forecast(2))
        assert got_two.wait(3.0)
    finally:
        stop.set()
        thread.join(3.0)
    assert not thread.is_alive()
    assert consumer.stats.reconnects >= 1


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        _config("a", channel="nope")
    with pytest.raises(ValueError, match="exactly one"):
        GroupConsumer(InMemoryBus(), _config("a"))
