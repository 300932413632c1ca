"""RedisBus.read_group sends XREADGROUP itself and parses the raw reply: same entries as redis-py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis

from signal_bus.bus import StreamEntry
from signal_bus.channels import FORECAST_UPDATES, RISK_UPDATES
from signal_bus.codec import encode
from signal_bus.errors import TransportConnectionError
from signal_bus.messages import ForecastUpdate
from signal_bus.redis_bus import RedisBus, _entries, _raw_stream_entries
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer

pytestmark = pytest.mark.redis

NOW = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)


def _forecast(index: int) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=f"ASSET{index}", horizon="1d", prediction=0.001 * index, confidence=0.6, now=NOW
    )


@pytest.fixture
def bus() -> Iterator[RedisBus]:
    with redis_namespace(prefix="test-read-group") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        yield bus
        bus.close()


def test_reads_what_was_published_and_matches_redis_py(bus: RedisBus) -> None:
    messages = [_forecast(index) for index in range(25)]
    for message in messages:
        bus.publish(message)
    bus.ensure_group(FORECAST_UPDATES, "raw")
    bus.ensure_group(FORECAST_UPDATES, "reference")
    entries = bus.read_group(FORECAST_UPDATES, "raw", "c1", count=10, block_ms=0, pending=False)
    entries += bus.read_group(FORECAST_UPDATES, "raw", "c1", count=100, block_ms=0, pending=False)
    stream = bus.names.stream(FORECAST_UPDATES)
    reference = _entries(bus.client.xreadgroup("reference", "c1", {stream: ">"}, count=100)[0][1])
    assert entries == reference
    assert [entry.payload for entry in entries] == [encode(message) for message in messages]
    assert [entry.entry_id for entry in entries] == [
        entry_id.decode() for entry_id, _ in bus.client.xrange(stream)
    ]


def test_pending_entries_are_read_again_until_acknowledged(bus: RedisBus) -> None:
    for index in range(3):
        bus.publish(_forecast(index))
    bus.ensure_group(FORECAST_UPDATES, "g")
    new = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)
    assert len(new) == 3
    assert bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False) == []
    again = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=True)
    assert again == new
    assert bus.read_group(FORECAST_UPDATES, "g", "c2", count=10, block_ms=0, pending=True) == []
    bus.acknowledge(FORECAST_UPDATES, "g", [entry.entry_id for entry in new[:2]])
    left = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=True)
    assert left == new[2:]


def test_blocking_read_times_out_empty(bus: RedisBus) -> None:
    bus.ensure_group(RISK_UPDATES, "g")
    started = time.monotonic()
    assert bus.read_group(RISK_UPDATES, "g", "c1", count=5, block_ms=100, pending=False) == []
    assert time.monotonic() - started >= 0.08


def test_entries_written_by_other_producers(bus: RedisBus) -> None:
    stream = bus.names.stream(FORECAST_UPDATES)
    bus.ensure_group(FORECAST_UPDATES, "g")
    with_other_fields = bus.client.xadd(stream, {b"source": b"x", b"data": b"payload"})
    without_payload = bus.client.xadd(stream, {b"source": b"x"})
    entries = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)
    assert entries == [
        StreamEntry(with_other_fields.decode(), b"payload"),
        StreamEntry(without_payload.decode(), None),
    ]


def test_entry_deleted_while_pending_has_no_payload(bus: RedisBus) -> None:
    bus.publish(_forecast(1))
    bus.ensure_group(FORECAST_UPDATES, "g")
    (entry,) = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)
    bus.client.xdel(bus.names.stream(FORECAST_UPDATES), entry.entry_id)
    pending = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=True)
    assert pending == [StreamEntry(entry.entry_id, None)]


def test_missing_group_is_a_key_error(bus: RedisBus) -> None:
    bus.publish(_forecast(1))
    with pytest.raises(KeyError, match="no consumer group 'absent'"):
        bus.read_group(FORECAST_UPDATES, "absent", "c1", count=10, block_ms=0, pending=False)


def test_count_must_be_positive(bus: RedisBus) -> None:
    with pytest.raises(ValueError, match="count must be at least 1"):
        bus.read_group(FORECAST_UPDATES, "g", "c1", count=0, block_ms=0, pending=False)


def test_other_server_errors_propagate(bus: RedisBus) -> None:
    bus.client.set(bus.names.stream(FORECAST_UPDATES), b"not a stream")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)


def test_stale_connection_is_retried_once_and_a_dead_server_reported() -> None:
    with RedisServer() as server:
        bus = RedisBus(url=server.url)
        message = _forecast(1)
        bus.publish(message)
        bus.ensure_group(FORECAST_UPDATES, "g")
        admin = redis.Redis.from_url(server.url)
        admin.client_kill_filter(_type="normal", skipme=True)  # the bus's pooled connection
        entries = bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)
        assert [entry.payload for entry in entries] == [encode(message)]
        admin.close()
    with pytest.raises(TransportConnectionError):
        bus.read_group(FORECAST_UPDATES, "g", "c1", count=10, block_ms=0, pending=False)
    bus.close()


def test_raw_reply_shapes() -> None:
    assert _raw_stream_entries(None) == []
    assert _raw_stream_entries([]) == []
    resp2 = [[b"s", [[b"1-0", [b"data", b"a"]], [b"2-0", None], [b"3-0", []]]]]
    expected = [StreamEntry("1-0", b"a"), StreamEntry("2-0", None), StreamEntry("3-0", None)]
    assert _raw_stream_entries(resp2) == expected
    resp3 = {b"s": [[b"1-0", [b"data", b"a"]], [b"2-0", None], [b"3-0", []]]}
    assert _raw_stream_entries(resp3) == expected
    # A field repeated: the last value wins, as in redis-py's dict of fields.
    repeated = [[b"s", [[b"4-0", [b"data", b"a", b"x", b"y", b"data", b"b"]]]]]
    assert _raw_stream_entries(repeated) == [StreamEntry("4-0", b"b")]
    assert _raw_stream_entries([["s", [["5-0", ["x", "y"]]]]]) == [StreamEntry("5-0", None)]
