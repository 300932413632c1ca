"""LatestValueSubscriber on Redis: live updates, late subscribers, and a server restart."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from signal_bus.backoff import BackoffConfig
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.errors import TransportConnectionError
from signal_bus.messages import ForecastUpdate, Message, RiskUpdate
from signal_bus.redis_bus import RedisBus
from signal_bus.subscriber import LatestValueSubscriber, SubscriberConfig
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
CONFIG = SubscriberConfig(
    channels=(FORECAST_UPDATES, RISK_UPDATES),
    poll_timeout_s=0.05,
    backoff=BackoffConfig(initial_delay_s=0.05, max_delay_s=0.2),
)


def _forecast(asset: str, prediction: float) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=asset, horizon="1h", prediction=prediction, confidence=0.55, now=NOW
    )


def _until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def bus() -> Iterator[RedisBus]:
    with redis_namespace(prefix="test-subscriber") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        try:
            yield bus
        finally:
            bus.close()


def test_publish_reaches_subscriber(bus: RedisBus) -> None:
    listener = RedisBus(url=SHARED_REDIS_URL, namespace=bus.names.namespace)
    with LatestValueSubscriber(listener, CONFIG) as subscriber:
        assert subscriber.wait_until_connected(5.0)
        messages = [_forecast("SPY", 0.001 * i) for i in range(20)]
        for message in messages:
            bus.publish(message)
        last = messages[-1]
        assert subscriber.wait_for(FORECAST_UPDATES, "SPY:1h", timeout=5.0, predicate=last.__eq__)
        risk = RiskUpdate.create(risk_factor=0.25, state="halted", reasons=["drawdown"], now=NOW)
        bus.publish(risk)
        assert subscriber.wait_for(RISK_UPDATES, timeout=5.0) == risk
    listener.close()


def test_late_subscriber_starts_from_last_values(bus: RedisBus) -> None:
    published = [_forecast(asset, 0.01) for asset in ("SPY", "QQQ", "IWM")]
    for message in published:
        bus.publish(message)
    newest_spy = _forecast("SPY", 0.02)
    bus.publish(newest_spy)
    late = RedisBus(url=SHARED_REDIS_URL, namespace=bus.names.namespace)
    with LatestValueSubscriber(late, CONFIG) as subscriber:
        assert subscriber.wait_until_connected(5.0)
        values = subscriber.values(FORECAST_UPDATES)
        assert values == {"SPY:1h": newest_spy, "QQQ:1h": published[1], "IWM:1h": published[2]}
    late.close()


def _publish_when_possible(bus: RedisBus, message: Message, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            bus.publish(message)
            return
        except TransportConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_subscriber_reconnects_after_server_restart() -> None:
    with RedisServer(password="restart-test") as server:
        publisher = RedisBus(url=server.url, namespace="fault")
        listener = RedisBus(url=server.url, namespace="fault")
        received: list[Message] = []
        subscriber = LatestValueSubscriber(listener, CONFIG, on_message=received.append).start()
        try:
            assert subscriber.wait_until_connected(5.0)
            for index in range(5):
                publisher.publish(_forecast("SPY", 0.001 * index))
            assert _until(lambda: len(received) == 5)

            server.stop()
            assert _until(lambda: not subscriber.health().connected)
            assert subscriber.latest(FORECAST_UPDATES, "SPY:1h") == received[-1]  # kept

            server.start()
            # Published before the subscriber is back: only the re-read last value carries it.
            missed = _forecast("QQQ", -0.002)
            _publish_when_possible(publisher, missed)
            assert subscriber.wait_for(FORECAST_UPDATES, "QQQ:1h", timeout=10.0) == missed
            assert subscriber.wait_until_connected(10.0)
            after = _forecast("SPY", 0.05)
            publisher.publish(after)
            assert subscriber.wait_for(
                FORECAST_UPDATES, "SPY:1h", timeout=5.0, predicate=after.__eq__
            )
            health = subscriber.health()
            assert health.reconnects >= 1
            assert health.connection_failures >= 1
            assert health.connected
        finally:
            subscriber.stop()
            publisher.close()
            listener.close()
