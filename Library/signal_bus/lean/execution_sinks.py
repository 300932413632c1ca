"""Where execution records go: the Redis bus (local live) or LEAN web notifications (cloud).

Sinks never raise into the algorithm: a failed delivery is counted and remembered.
The Redis sink keeps retrying a record (in order, with backoff) while Redis is
unreachable, so an outage delays execution records but does not lose them.
"""

from __future__ import annotations

import queue
import threading
from typing import Any, Protocol

from signal_bus.backoff import Backoff, BackoffConfig
from signal_bus.codec import encode
from signal_bus.errors import TransportConnectionError
from signal_bus.messages import Message
from signal_bus.redis_bus import RedisBus


class ExecutionSink(Protocol):
    """Receives execution records."""

    def send(self, message: Message) -> None:
        """Deliver ``message`` (must not block on I/O for long, must not raise)."""


class DiscardSink:
    """Drops records: backtests, whose records come from LEAN's result JSON."""

    def send(self, message: Message) -> None:
        """Ignore ``message``."""


class MemorySink:
    """Keeps records in a list: backtests and tests."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, message: Message) -> None:
        """Append ``message``."""
        self.messages.append(message)


class WebNotifier(Protocol):
    """The part of LEAN's ``NotificationManager`` the web sink uses."""

    def web(self, address: str, data: Any = None, headers: Any = None) -> bool:
        """POST ``data`` to ``address``."""


class WebNotificationSink:
    """Posts each record as JSON with LEAN's ``notify.web`` (QuantConnect cloud live).

    Parameters
    ----------
    notifier
        The algorithm's ``notify``.
    address
        The backend's ingestion URL.
    headers
        Extra HTTP headers, e.g. an ``Authorization`` header built from a parameter.
    """

    def __init__(
        self, notifier: WebNotifier, address: str, headers: dict[str, str] | None = None
    ) -> None:
        self._notifier = notifier
        self._address = address
        self._headers = dict(headers or {})
        self.failures = 0

    def send(self, message: Message) -> None:
        """POST ``message``; count a refusal as a failure."""
        try:
            delivered = self._notifier.web(
                self._address, encode(message).decode(), self._headers or None
            )
        except Exception:  # noqa: BLE001 - a notification must never stop the algorithm
            delivered = False
        if not delivered:
            self.failures += 1


class RedisExecutionSink:
    """Publishes records on ``execution_events`` from a background thread (local live).

    Each record goes through :meth:`RedisBus.publish` (stream, last value and pub/sub in
    one pipeline). The algorithm thread only queues; ``redis`` is imported in the thread.
    """

    def __init__(self, redis_url: str, namespace: str = "", max_queue: int = 10_000) -> None:
        self._bus = RedisBus(url=redis_url, namespace=namespace)
        self._queue: queue.Queue[Message | None] = queue.Queue(maxsize=max_queue)
        self.dropped = 0
        self.failures = 0
        self.sent = 0
        self.abandoned = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="execution-sink", daemon=True)
        self._thread.start()

    def send(self, message: Message) -> None:
        """Queue ``message``; drop it (and count it) if the queue is full."""
        try:
            self._queue.put_nowait(message)
        except queue.Full:
            self.dropped += 1

    def close(self, timeout: float = 2.0) -> None:
        """Flush queued records for up to ``timeout`` seconds, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()  # Redis is still unreachable: give up on what is left
            self._thread.join(timeout)
        self._bus.close()

    def _run(self) -> None:
        backoff = Backoff(BackoffConfig(initial_delay_s=0.05, max_delay_s=1.0))
        while (message := self._queue.get()) is not None:
            while True:
                try:
                    self._bus.publish(message)
                except ImportError:
                    self.failures += 1
                    break
                except TransportConnectionError:
                    # Lost connection: retry the same record, keeping the order.
                    self.failures += 1
                    if self._stop.wait(backoff.next_delay()):
                        self.abandoned += 1
                        break
                    continue
                self.sent += 1
                backoff.reset()
                break
