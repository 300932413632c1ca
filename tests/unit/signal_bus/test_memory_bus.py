"""The in-memory transport: publish, last values, streams, groups, dead letters."""

from __future__ import annotations

import pytest

from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.codec import encode
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.memory_bus import InMemoryBus

from .factories import example_messages


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_publish_sets_last_value_and_stream() -> None:
    bus = InMemoryBus()
    messages = example_messages()
    for message in messages:
        bus.publish(message)
    forecast = messages[0]
    assert bus.last(FORECAST_UPDATES, "BTCUSD:4h") == forecast
    assert bus.last(FORECAST_UPDATES, "ETHUSD:4h") is None
    assert bus.last_values(RISK_UPDATES) == {"": messages[1]}
    entries = bus.read_stream(FORECAST_UPDATES, after="0", count=10, block_ms=None)
    assert [entry.payload for entry in entries] == [encode(forecast)]


def test_corrupt_last_value_raises_validation_error() -> None:
    bus = InMemoryBus()
    bus.publish_payload(RISK_UPDATES, "", b"{broken")
    with pytest.raises(MessageValidationError):
        bus.last(RISK_UPDATES)
    assert bus.last_values(RISK_UPDATES) == {}


def test_stream_is_bounded() -> None:
    bus = InMemoryBus(stream_max_length=3)
    for _ in range(5):
        bus.publish(example_messages()[1])
    entries = bus.read_stream(RISK_UPDATES, after="0", count=10, block_ms=None)
    assert [entry.entry_id for entry in entries] == ["3-0", "4-0", "5-0"]


def test_group_delivery_ack_and_claim() -> None:
    clock = FakeClock()
    bus = InMemoryBus(clock=clock)
    bus.ensure_group(RISK_UPDATES, "group")
    for _ in range(3):
        bus.publish(example_messages()[1])
    first = bus.read_group(RISK_UPDATES, "group", "a", count=2, block_ms=0, pending=False)
    assert [entry.entry_id for entry in first] == ["1-0", "2-0"]
    assert bus.group_lag(RISK_UPDATES, "group") == 1
    assert bus.pending_count(RISK_UPDATES, "group") == 2
    assert bus.acknowledge(RISK_UPDATES, "group", ["1-0"]) == 1
    # Not idle long enough yet.
    _, claimed = bus.claim_idle(RISK_UPDATES, "group", "b", min_idle_ms=500, start="0-0", count=10)
    assert claimed == []
    clock.now += 1.0
    _, claimed = bus.claim_idle(RISK_UPDATES, "group", "b", min_idle_ms=500, start="0-0", count=10)
    assert [entry.entry_id for entry in claimed] == ["2-0"]
    own = bus.read_group(RISK_UPDATES, "group", "b", count=10, block_ms=0, pending=True)
    assert [entry.entry_id for entry in own] == ["2-0"]
    assert bus.read_group(RISK_UPDATES, "group", "a", count=10, block_ms=0, pending=True) == []


def test_unavailable_bus_raises_connection_error() -> None:
    bus = InMemoryBus()
    subscription = bus.open_subscription([RISK_UPDATES])
    bus.set_available(False)
    with pytest.raises(TransportConnectionError):
        subscription.get(0.01)
    with pytest.raises(TransportConnectionError):
        bus.publish(example_messages()[1])
    bus.set_available(True)
    message = example_messages()[1]
    bus.publish(message)
    assert bus.last(RISK_UPDATES) == message


def test_dead_letters_keep_raw_bytes() -> None:
    bus = InMemoryBus()
    raw = b"\xff\x00:12:odd"
    bus.add_dead_letter(RISK_UPDATES, {"reason": b"bad", "field": b"payload", "payload": raw})
    (letter,) = bus.dead_letters(RISK_UPDATES)
    assert (letter.reason, letter.field, letter.payload) == ("bad", "payload", raw)
