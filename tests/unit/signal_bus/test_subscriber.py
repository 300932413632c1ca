"""LatestValueSubscriber on the in-memory transport: catch-up, updates, reconnects."""

from __future__ import annotations

import threading
import time

from signal_bus.backoff import BackoffConfig
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import ForecastUpdate, Message, RiskUpdate
from signal_bus.subscriber import LatestValueSubscriber, SubscriberConfig

from .factories import NOW

FAST = SubscriberConfig(
    channels=(FORECAST_UPDATES, RISK_UPDATES),
    poll_timeout_s=0.02,
    backoff=BackoffConfig(initial_delay_s=0.01, max_delay_s=0.05),
)


def _forecast(asset: str, prediction: float) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=asset, horizon="1d", prediction=prediction, confidence=0.6, now=NOW
    )


def test_reads_last_values_at_start_then_follows_updates() -> None:
    bus = InMemoryBus()
    early = _forecast("SPY", 0.01)
    bus.publish(early)
    with LatestValueSubscriber(bus, FAST) as subscriber:
        assert subscriber.wait_until_connected(2.0)
        assert subscriber.latest(FORECAST_UPDATES, "SPY:1d") == early
        later = _forecast("SPY", 0.02)
        bus.publish(later)
        assert subscriber.wait_for(
            FORECAST_UPDATES, "SPY:1d", timeout=2.0, predicate=lambda m: m == later
        )
        assert subscriber.latest(RISK_UPDATES) is None
        risk = RiskUpdate.create(risk_factor=0.3, state="reducing", now=NOW)
        bus.publish(risk)
        assert subscriber.wait_for(RISK_UPDATES, timeout=2.0) == risk
        assert set(subscriber.values(FORECAST_UPDATES)) == {"SPY:1d"}
        health = subscriber.health()
        assert health.connected
        assert health.messages == 3
        assert health.reconnects == 0
        assert health.last_message_time is not None


def test_invalid_messages_are_counted_and_skipped() -> None:
    bus = InMemoryBus()
    with LatestValueSubscriber(bus, FAST) as subscriber:
        assert subscriber.wait_until_connected(2.0)
        bus.publish_payload(
            RISK_UPDATES, "", b'{"risk_factor": 7, "timestamp": "2025-04-05T12:00:00Z"}'
        )
        good = RiskUpdate.create(risk_factor=0.5, now=NOW)
        bus.publish(good)
        assert subscriber.wait_for(RISK_UPDATES, timeout=2.0) == good
        health = subscriber.health()
        assert health.invalid_messages == 1
        assert "risk_factor" in health.last_error


def test_reconnects_and_rereads_last_values() -> None:
    bus = InMemoryBus()
    with LatestValueSubscriber(bus, FAST) as subscriber:
        assert subscriber.wait_until_connected(2.0)
        bus.set_available(False)
        deadline = time.monotonic() + 2.0
        while subscriber.health().connected and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not subscriber.health().connected
        # Published while the subscriber was away: only the last value can tell it.
        bus.set_available(True)
        missed = _forecast("QQQ", -0.01)
        bus.publish(missed)
        assert subscriber.wait_for(FORECAST_UPDATES, "QQQ:1d", timeout=2.0) == missed
        assert subscriber.wait_until_connected(2.0)
        health = subscriber.health()
        assert health.reconnects >= 1
        assert health.connection_failures >= 1


def test_reads_never_wait_for_the_subscriber_thread() -> None:
    bus = InMemoryBus()
    entered = threading.Event()
    release = threading.Event()

    def slow_callback(message: Message) -> None:
        entered.set()
        release.wait(2.0)

    subscriber = LatestValueSubscriber(bus, FAST, on_message=slow_callback).start()
    try:
        assert subscriber.wait_until_connected(2.0)
        bus.publish(_forecast("SPY", 0.01))
        assert entered.wait(2.0)
        started = time.perf_counter()
        for _ in range(1000):
            subscriber.latest(FORECAST_UPDATES, "SPY:1d")
        assert time.perf_counter() - started < 0.5
        assert subscriber.latest(FORECAST_UPDATES, "SPY:1d") is not None
    finally:
        release.set()
        subscriber.stop()
    assert not subscriber.health().connected
