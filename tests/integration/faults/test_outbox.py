"""The outbox and the consumers' reconnect, against a private redis-server that is stopped."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.sources import BarRequest
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.codec import decode
from signal_bus.errors import TransportConnectionError
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.messages import ForecastUpdate, Message
from signal_bus.outbox import OutboxBus, OutboxFullError
from signal_bus.redis_bus import RedisBus
from tests.integration.faults.conftest import wait_until
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis
START = datetime(2025, 4, 5, tzinfo=UTC)


def forecast(index: int) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="BTCUSD",
        horizon="1h",
        prediction=0.001 * index,
        confidence=0.6,
        now=START + timedelta(seconds=index),
    )


def stream_ids(bus: RedisBus) -> list[str]:
    entries = bus.read_stream(FORECAST_UPDATES, after="0", count=1000, block_ms=None)
    return [decode(entry.payload).id for entry in entries if entry.payload is not None]


def test_outbox_keeps_order_through_an_outage(redis_server: RedisServer, namespace: str) -> None:
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    outbox = OutboxBus(bus, capacity=5)
    messages = [forecast(index) for index in range(8)]
    try:
        outbox.publish(messages[0])
        redis_server.stop()
        for message in messages[1:6]:
            outbox.publish(message)
        assert outbox.pending == 5
        with pytest.raises(OutboxFullError):
            outbox.publish(messages[6])
        assert outbox.flush() == 5  # still down: nothing sent, nothing dropped
        redis_server.start()
        outbox.publish(messages[7])  # sends the waiting ones first
        stats = outbox.stats
        assert (stats.accepted, stats.sent, stats.buffered, stats.pending, stats.refused) == (
            7, 7, 5, 0, 1,
        )  # fmt: skip
        assert stats.failed_attempts >= 2
        expected = [message.id for message in messages[:6]] + [messages[7].id]
        assert stream_ids(bus) == expected
    finally:
        bus.close()


def test_flush_until_empty_gives_up_at_the_deadline(
    redis_server: RedisServer, namespace: str
) -> None:
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    outbox = OutboxBus(bus)
    try:
        redis_server.stop()
        outbox.publish(forecast(1))
        assert not outbox.flush_until_empty(0.3, interval_s=0.05)
        assert outbox.pending == 1
        redis_server.start()
        assert outbox.flush_until_empty(5.0, interval_s=0.05)
        assert stream_ids(bus) == [outbox_message_id(bus)]
    finally:
        bus.close()


def outbox_message_id(bus: RedisBus) -> str:
    last = bus.last(FORECAST_UPDATES, "BTCUSD:1h")
    assert last is not None
    return last.id


def test_consumer_rereads_its_unacknowledged_entries_after_a_lost_connection(
    redis_server: RedisServer, namespace: str
) -> None:
    """A handler that loses Redis midway leaves the entry pending; it is handled after the restart."""
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    handled: list[str] = []
    first_call = threading.Event()
    server_stopped = threading.Event()

    def handle(message: Message) -> None:
        if not first_call.is_set():
            first_call.set()
            redis_server.stop()  # the acknowledgement of this entry cannot happen now
            server_stopped.set()
            bus.publish(message)  # raises TransportConnectionError: not the message's fault
        handled.append(message.id)

    consumer = GroupConsumer(
        bus,
        GroupConsumerConfig(
            channel=FORECAST_UPDATES, group="g", consumer="c", block_ms=50, claim_idle_ms=600_000
        ),
        handler=handle,
    )
    sent = forecast(1)
    stop = threading.Event()
    try:
        bus.publish(sent)
        thread = threading.Thread(target=consumer.run_forever, args=(stop,), daemon=True)
        thread.start()
        assert server_stopped.wait(15.0)
        redis_server.start()
        assert wait_until(lambda: handled == [sent.id], 15.0), handled
        assert wait_until(lambda: bus.pending_count(FORECAST_UPDATES, "g") == 0, 5.0)
        stats = consumer.stats
        assert (stats.processed, stats.handler_failures, stats.dead_lettered) == (1, 0, 0)
        assert stats.reconnects >= 1
    finally:
        stop.set()
        bus.close()


def test_forecast_engine_keeps_unsent_forecasts_for_its_next_cycle(
    redis_server: RedisServer, namespace: str, tmp_path: Path
) -> None:
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    engine = ForecastEngine(
        ForecastEngineConfig(
            bars=BarRequest(
                source="lean", data_folder=tmp_path, security_type="crypto", market="coinbase",
                resolution="hour", symbols=("BTCUSD",),
            ),
            registry_folder=tmp_path / "models",
            horizons=("1h",),
        ),
        bus,
        publish_timeout_s=0.2,
    )  # fmt: skip
    try:
        redis_server.stop()
        waiting = [forecast(1), forecast(2)]
        with pytest.raises(TransportConnectionError, match="2 messages wait in the outbox"):
            engine.publish(waiting)
        redis_server.start()
        later = forecast(3)
        assert engine.publish([later]) == 0
        assert engine.outbox is not None
        assert engine.outbox.pending == 0
        assert stream_ids(bus) == [message.id for message in [*waiting, later]]
    finally:
        bus.close()
