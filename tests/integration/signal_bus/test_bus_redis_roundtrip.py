"""RedisBus on the real server: round trips, the one-pipeline publish, connection settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from signal_bus.channels import ALL_CHANNELS, FORECAST_UPDATES, RISK_UPDATES
from signal_bus.codec import decode, encode
from signal_bus.connection import RedisConnectionConfig
from signal_bus.errors import TransportConnectionError
from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)


def _messages() -> list[Message]:
    return [
        ForecastUpdate.create(
            asset="BTCUSD", horizon="4h", prediction=0.0082, confidence=0.76, now=NOW
        ),
        RiskUpdate.create(risk_factor=0.8, reasons=["low_confidence"], now=NOW),
        StrategyConfigUpdate.create(
            key="max_allocation", value=0.5, version=2, changed_by="operator", now=NOW
        ),
        OrderEvent.create(
            order_id=1, symbol="SPY", status="submitted", direction="buy", quantity=5, now=NOW
        ),
        PortfolioSnapshot.create(equity=1000.0, cash=500.0, holdings={"SPY": 5}, now=NOW),
    ]


@pytest.fixture
def bus() -> Iterator[RedisBus]:
    with redis_namespace(prefix="test-bus") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        try:
            yield bus
        finally:
            bus.close()


def test_round_trip_every_type_through_redis(bus: RedisBus) -> None:
    for message in _messages():
        subscription = bus.open_subscription([message.channel])
        try:
            bus.publish(message)
            received = None
            for _ in range(50):
                received = subscription.get(0.1)
                if received is not None:
                    break
            assert received == (message.channel, encode(message))
        finally:
            subscription.close()
        assert bus.last(message.channel, message.key) == message
        (entry,) = bus.read_stream(message.channel, after="0", count=10, block_ms=None)[-1:]
        assert entry.payload is not None
        assert decode(entry.payload, message.channel) == message


def test_publish_writes_stream_last_value_and_channel_under_namespace(bus: RedisBus) -> None:
    forecast = _messages()[0]
    bus.publish(forecast)
    client = redis.Redis.from_url(SHARED_REDIS_URL)
    try:
        namespace = bus.names.namespace
        assert client.get(f"{namespace}:forecast_updates:last:BTCUSD:4h") == encode(forecast)
        assert client.xlen(f"{namespace}:forecast_updates:stream") == 1
        assert client.get("forecast_updates:last:BTCUSD:4h") != encode(forecast)
    finally:
        client.close()
    assert bus.last_values(FORECAST_UPDATES) == {"BTCUSD:4h": forecast}
    assert bus.last(RISK_UPDATES) is None


def test_stream_length_is_bounded() -> None:
    with redis_namespace(prefix="test-bus") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace, stream_max_length=10)
        message = _messages()[1]
        for _ in range(300):
            bus.publish(message)
        length = int(bus.client.xlen(bus.names.stream(RISK_UPDATES)))
        bus.close()
    # MAXLEN ~ trims whole radix-tree nodes (100 entries by default).
    assert length < 300
    assert length <= 10 + 100


def test_every_channel_has_distinct_keys(bus: RedisBus) -> None:
    names = {
        name
        for channel in ALL_CHANNELS
        for name in (
            bus.names.pubsub(channel),
            bus.names.stream(channel),
            bus.names.dead(channel),
            bus.names.last(channel),
        )
    }
    assert len(names) == 4 * len(ALL_CHANNELS)


def test_password_protected_redis_from_environment() -> None:
    with RedisServer(password="correct horse:battery") as server:
        environment = {
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(server.port),
            "REDIS_PASSWORD": "correct horse:battery",
        }
        message = _messages()[1]
        bus = RedisBus(RedisConnectionConfig.from_environment(environment))
        bus.publish(message)
        assert bus.last(RISK_UPDATES) == message
        bus.close()

        by_url = RedisBus(RedisConnectionConfig.from_environment({"REDIS_URL": server.url}))
        assert by_url.last(RISK_UPDATES) == message
        by_url.close()

        wrong = RedisBus(url=f"redis://:wrong@127.0.0.1:{server.port}/0")
        with pytest.raises(TransportConnectionError, match="(?i)password|auth"):
            wrong.publish(message)
        wrong.close()


def test_unreachable_server_raises_connection_error() -> None:
    with RedisServer() as server:
        port = server.port
    bus = RedisBus(url=f"redis://127.0.0.1:{port}/0")
    with pytest.raises(TransportConnectionError):
        bus.publish(_messages()[1])
    bus.close()
