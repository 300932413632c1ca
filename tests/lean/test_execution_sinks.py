"""Execution sinks: the web sink against LEAN's overloads, the selection rules, closing.

The web sink runs against a model of LEAN's ``NotificationManager`` under pythonnet's
overload binding (``tests/lean/lean_model/notifications.py``); the Redis sink against
the shared Redis (a unique namespace per test, keys removed afterwards) and a private
redis-server for an outage.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signal_bus.channels import EXECUTION_EVENTS
from signal_bus.codec import decode
from signal_bus.lean.execution_sinks import (
    DiscardSink,
    ExecutionSink,
    MemorySink,
    RedisExecutionSink,
    SinkReport,
    WebNotificationSink,
    select_execution_sink,
)
from signal_bus.messages import Message, OrderEvent, PortfolioSnapshot
from signal_bus.redis_bus import RedisBus
from tests.lean.lean_model.notifications import (
    ArgumentException,
    NotificationManager,
    NotificationWeb,
    can_send,
)
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer, free_port
from tests.support.waiting import wait_until

NOW = datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
WEBHOOK = "https://backend.example/api/execution/events/"

# Threads and Redis deliver in their own time: poll, up to 15.0 s unless a call says otherwise.
_wait = functools.partial(wait_until, timeout=15.0)


def _records(count: int) -> list[Message]:
    records: list[Message] = []
    for index in range(count):
        records.append(
            OrderEvent.create(
                order_id=index + 1,
                symbol="AAPL",
                status="filled",
                direction="buy",
                quantity=10.0,
                fill_price=170.0,
                fill_quantity=10.0,
                tag=f"forecast-{index}",
                now=NOW + timedelta(seconds=index),
            )
        )
    return records


def _unreachable_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(SHARED_REDIS_URL, prefix="sink") as name:
        yield name


# ------------------------------------------------------------------ the LEAN model


def test_model_binds_like_pythonnet() -> None:
    notify = NotificationManager()
    assert notify.web(WEBHOOK, "{}")
    assert notify.web(WEBHOOK, "{}", {"Authorization": "Token t"})
    with pytest.raises(ArgumentException, match="not a dict"):
        notify.web(WEBHOOK, "{}", None)
    with pytest.raises(ArgumentException, match="not a dict"):
        notify.web(WEBHOOK, "{}", headers=None)
    assert [m.headers for m in notify.messages] == [None, {"Authorization": "Token t"}]
    assert not NotificationManager(live_mode=False).web(WEBHOOK, "{}")


def test_open_source_lean_does_not_send_web_notifications() -> None:
    assert not can_send(NotificationWeb(WEBHOOK, "{}", None))


# ------------------------------------------------------------------ web sink


def test_web_sink_delivers_every_record_through_lean() -> None:
    notify = NotificationManager()
    sink = WebNotificationSink(notify, WEBHOOK)
    records = _records(3)
    for record in records:
        sink.send(record)
    report = sink.close()
    assert report == SinkReport("web", 3, 3, 0)
    assert [m.address for m in notify.messages] == [WEBHOOK] * 3
    assert [json.loads(m.data)["id"] for m in notify.messages] == [r.id for r in records]
    assert all(m.headers is None for m in notify.messages)


def test_web_sink_sends_headers_as_a_dict() -> None:
    notify = NotificationManager()
    sink = WebNotificationSink(notify, WEBHOOK, {"Authorization": "Token secret"})
    sink.send(_records(1)[0])
    assert sink.close().delivered == 1
    assert notify.messages[0].headers == {"Authorization": "Token secret"}


def test_web_sink_counts_refusals_and_never_raises() -> None:
    class Broken:
        def web(self, address: str, data: Any = None, headers: Any = None) -> bool:
            raise ArgumentException("object is not a dict")

    sink = WebNotificationSink(Broken(), WEBHOOK)
    sink.send(_records(1)[0])
    report = sink.close()
    assert (report.received, report.delivered, report.dropped) == (1, 0, 1)
    assert report.last_error is not None
    assert "not a dict" in report.last_error
    assert "dropped=1" in report.log_line()

    outside_live = WebNotificationSink(NotificationManager(live_mode=False), WEBHOOK)
    outside_live.send(_records(1)[0])
    assert outside_live.close().dropped == 1


# ------------------------------------------------------------------ selection


def _select(
    *, live_mode: bool, cloud: bool, webhook_url: str, redis_url: str | None
) -> ExecutionSink:
    return select_execution_sink(
        live_mode=live_mode,
        cloud=cloud,
        webhook_url=webhook_url,
        redis_url=redis_url,
        namespace="unused",
        notifier=NotificationManager(),
    )


@pytest.mark.parametrize(
    ("live_mode", "cloud", "webhook_url", "redis_url", "expected"),
    [
        (False, False, WEBHOOK, SHARED_REDIS_URL, DiscardSink),  # local backtest
        (False, True, WEBHOOK, None, DiscardSink),  # cloud backtest
        (True, True, WEBHOOK, None, WebNotificationSink),  # cloud live
        (True, True, WEBHOOK, SHARED_REDIS_URL, WebNotificationSink),
        (True, True, "", SHARED_REDIS_URL, DiscardSink),  # no Redis reachable in the cloud
        (True, False, "", SHARED_REDIS_URL, RedisExecutionSink),  # local live
        (True, False, WEBHOOK, SHARED_REDIS_URL, RedisExecutionSink),  # webhook not delivered
        (True, False, WEBHOOK, None, DiscardSink),
        (True, False, "", None, DiscardSink),
        (True, False, "", "", DiscardSink),
    ],
)
def test_selection_rules(
    live_mode: bool, cloud: bool, webhook_url: str, redis_url: str | None, expected: type
) -> None:
    sink = _select(live_mode=live_mode, cloud=cloud, webhook_url=webhook_url, redis_url=redis_url)
    try:
        assert type(sink) is expected
    finally:
        sink.close(0.5)


def test_selected_web_sink_uses_the_headers() -> None:
    notify = NotificationManager()
    sink = select_execution_sink(
        live_mode=True,
        cloud=True,
        webhook_url=WEBHOOK,
        redis_url=None,
        namespace="",
        notifier=notify,
        webhook_headers={"Authorization": "Token t"},
    )
    sink.send(_records(1)[0])
    assert notify.messages[0].headers == {"Authorization": "Token t"}


def test_discard_and_memory_sinks_report() -> None:
    discard, memory = DiscardSink(), MemorySink()
    for record in _records(2):
        discard.send(record)
        memory.send(record)
    assert discard.close() == SinkReport("discard", 2, 0, 2)
    assert memory.close() == SinkReport("memory", 2, 2, 0)


# ------------------------------------------------------------------ Redis sink


@pytest.mark.redis
def test_redis_sink_close_flushes_queued_records_to_the_stream(namespace: str) -> None:
    sink = RedisExecutionSink(SHARED_REDIS_URL, namespace)
    records = _records(200)
    snapshot = PortfolioSnapshot.create(equity=1000.0, cash=400.0, holdings={"AAPL": 10.0}, now=NOW)
    for record in [*records, snapshot]:
        sink.send(record)
    report = sink.close(timeout=30.0)
    assert report == SinkReport("redis", 201, 201, 0)
    assert (sink.dropped, sink.abandoned, sink.rejected) == (0, 0, 0)

    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    try:
        entries = bus.read_stream(EXECUTION_EVENTS, after="0", count=1000, block_ms=None)
    finally:
        bus.close()
    assert entries[0].payload is not None
    stored = [decode(entry.payload or b"", EXECUTION_EVENTS) for entry in entries]
    assert [message.id for message in stored] == [r.id for r in [*records, snapshot]]


@pytest.mark.redis
def test_redis_sink_close_is_idempotent_and_refuses_later_records(namespace: str) -> None:
    sink = RedisExecutionSink(SHARED_REDIS_URL, namespace)
    first, later = _records(2)
    sink.send(first)
    assert sink.close(timeout=30.0).delivered == 1
    sink.send(later)  # after close: counted, never raises
    again = sink.close(timeout=30.0)
    assert (again.received, again.delivered, again.dropped) == (2, 1, 1)


def test_redis_sink_gives_up_at_close_when_redis_is_unreachable() -> None:
    sink = RedisExecutionSink(_unreachable_url(), "nowhere", max_queue=3)
    for record in _records(5):  # two overflow the queue
        sink.send(record)
    report = sink.close(timeout=0.5)
    assert (report.received, report.delivered, report.dropped) == (5, 0, 5)
    assert sink.dropped == 2
    assert sink.abandoned == 3
    assert report.failed_attempts >= 1
    assert report.last_error is not None
    assert not sink._thread.is_alive()


@pytest.mark.redis
def test_redis_sink_retries_through_an_outage_and_keeps_the_order() -> None:
    with RedisServer() as server:
        server.stop()
        sink = RedisExecutionSink(server.url, "outage")
        records = _records(5)
        for record in records:
            sink.send(record)
        assert _wait(lambda: sink.failures >= 1)  # the outage was seen
        server.start()
        report = sink.close(timeout=30.0)
        assert (report.delivered, report.dropped) == (5, 0)
        assert report.failed_attempts >= 1
        bus = RedisBus(url=server.url, namespace="outage")
        try:
            entries = bus.read_stream(EXECUTION_EVENTS, after="0", count=100, block_ms=None)
        finally:
            bus.close()
        ids = [decode(entry.payload or b"", EXECUTION_EVENTS).id for entry in entries]
        assert ids == [r.id for r in records]
