"""GroupConsumer on Redis: a killed consumer loses nothing, dead letters, server restart."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from signal_bus.backoff import BackoffConfig
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.errors import TransportConnectionError
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.messages import ForecastUpdate, Message
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
CONSUMER_SCRIPT = Path(__file__).with_name("bus_consumer_process.py")
FAST_BACKOFF = BackoffConfig(initial_delay_s=0.05, max_delay_s=0.2)


def _forecast(index: int) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=f"ASSET{index}", horizon="1d", prediction=0.0001 * index, confidence=0.6, now=NOW
    )


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(prefix="test-group") as namespace:
        yield namespace


def _run_in_thread(consumer: GroupConsumer) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run_forever, args=(stop,), daemon=True)
    thread.start()
    return thread, stop


def test_killed_consumer_loses_nothing_and_nothing_is_acked_unhandled(namespace: str) -> None:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    stream = bus.names.stream(FORECAST_UPDATES)
    handled_key = f"{namespace}:handled"
    bus.ensure_group(FORECAST_UPDATES, "kill-test")
    messages = [_forecast(i) for i in range(25)]
    for message in messages:
        bus.publish(message)

    victim = subprocess.Popen(
        [sys.executable, str(CONSUMER_SCRIPT), SHARED_REDIS_URL, namespace, "victim", "4"]
    )
    try:
        assert _until(lambda: client.llen(handled_key) >= 4, timeout=20.0)
    finally:
        victim.kill()  # SIGKILL, mid-batch: 4 of 10 handled, none acknowledged yet
        victim.wait(10)
    handled_by_victim = {raw.decode() for raw in client.lrange(handled_key, 0, -1)}
    assert len(handled_by_victim) == 4

    pending = client.xpending_range(stream, "kill-test", min="-", max="+", count=100)
    pending_ids = {_text(row["message_id"]) for row in pending}
    delivered = client.xrange(stream, count=10)  # the victim's batch: the 10 oldest entries
    assert {_text(entry_id) for entry_id, _ in delivered} == pending_ids
    # Nothing was acknowledged: everything delivered, handled or not, is still pending.
    assert {row["consumer"] for row in pending} == {b"victim"}

    survivor = GroupConsumer(
        bus,
        GroupConsumerConfig(
            channel=FORECAST_UPDATES,
            group="kill-test",
            consumer="survivor",
            batch_size=10,
            block_ms=50,
            claim_idle_ms=200,
            claim_interval_s=0.1,
            backoff=FAST_BACKOFF,
        ),
        handler=lambda message: client.rpush(handled_key, message.id),
    )
    thread, stop = _run_in_thread(survivor)
    try:
        expected = {message.id for message in messages}
        assert _until(
            lambda: {raw.decode() for raw in client.lrange(handled_key, 0, -1)} >= expected
        )
        assert _until(lambda: bus.pending_count(FORECAST_UPDATES, "kill-test") == 0)
    finally:
        stop.set()
        thread.join(5)
    stats = survivor.stats
    assert stats.reclaimed == 10
    assert stats.processed == 25
    assert not thread.is_alive()
    bus.close()
    client.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def test_handler_error_mid_batch_acks_only_handled(namespace: str) -> None:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    messages = [_forecast(i) for i in range(6)]
    for message in messages:
        bus.publish(message)
    seen: list[str] = []
    broken = {messages[3].id}

    def handler(message: Message) -> None:
        if message.id in broken:
            raise RuntimeError("storage down")
        seen.append(message.id)

    config = GroupConsumerConfig(
        channel=FORECAST_UPDATES,
        group="recorder",
        consumer="one",
        block_ms=0,
        handler_retry_delay_s=0.0,
    )
    consumer = GroupConsumer(bus, config, handler=handler)
    consumer.run_once()
    assert seen == [m.id for i, m in enumerate(messages) if i != 3]
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 1
    assert consumer.stats.lag == 0  # XINFO GROUPS: everything was read
    assert consumer.stats.handler_failures == 1
    broken.clear()
    consumer.run_once()
    assert seen[-1] == messages[3].id
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0
    bus.close()


def test_malformed_messages_go_to_dead_letters_while_valid_ones_flow(namespace: str) -> None:
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    seen: list[Message] = []
    config = GroupConsumerConfig(
        channel=FORECAST_UPDATES,
        group="recorder",
        consumer="one",
        block_ms=50,
        backoff=FAST_BACKOFF,
    )
    consumer = GroupConsumer(bus, config, handler=seen.append)
    thread, stop = _run_in_thread(consumer)
    bad_payloads = [
        b'{"type": "forecast_update", "asset": "X", "horizon": "1d", "prediction": 0.1,'
        b' "confidence": 1.7, "timestamp": "2025-04-05T12:00:00Z"}',
        b"not json at all",
        b'{"type": "risk_update", "risk_factor": 0.5, "timestamp": "2025-04-05T12:00:00Z"}',
    ]
    good = [_forecast(i) for i in range(3)]
    try:
        for index, payload in enumerate(bad_payloads):
            bus.publish(good[index])
            bus.publish_payload(FORECAST_UPDATES, f"bad{index}", payload)
        assert _until(lambda: len(seen) == 3 and consumer.stats.dead_lettered == 3)
    finally:
        stop.set()
        thread.join(5)
    assert seen == good
    letters = bus.dead_letters(FORECAST_UPDATES)
    assert [letter.payload for letter in letters] == bad_payloads
    assert [letter.field for letter in letters] == ["confidence", "payload", "type"]
    assert all(letter.group == "recorder" and letter.source_id for letter in letters)
    assert bus.pending_count(FORECAST_UPDATES, "recorder") == 0
    bus.close()


def test_group_consumer_continues_after_server_restart() -> None:
    with RedisServer() as server:
        publisher = RedisBus(url=server.url, namespace="fault")
        seen: list[Message] = []
        config = GroupConsumerConfig(
            channel=FORECAST_UPDATES,
            group="engine",
            consumer="one",
            block_ms=50,
            backoff=FAST_BACKOFF,
        )
        consumer = GroupConsumer(
            RedisBus(url=server.url, namespace="fault"), config, handler=seen.append
        )
        thread, stop = _run_in_thread(consumer)
        try:
            before = [_forecast(i) for i in range(3)]
            for message in before:
                publisher.publish(message)
            assert _until(lambda: len(seen) == 3)
            server.stop()
            time.sleep(0.3)
            server.start()  # empty: the stream and the group are gone
            after = [_forecast(10 + i) for i in range(3)]
            deadline = time.monotonic() + 10
            for message in after:
                while True:
                    try:
                        publisher.publish(message)
                        break
                    except TransportConnectionError:
                        assert time.monotonic() < deadline
                        time.sleep(0.05)
            assert _until(lambda: len(seen) == 6)
        finally:
            stop.set()
            thread.join(5)
            publisher.close()
        assert seen == before + after
        assert consumer.stats.reconnects >= 1
