"""Where execution records go: the Redis bus (local live) or LEAN web notifications (cloud).

Sinks never raise into the algorithm: a failed delivery is counted and remembered.
The Redis sink keeps retrying a record (in order, with backoff) while Redis is
unreachable, so an outage delays execution records but does not lose them.
Every sink has ``close(timeout)``, called from ``on_end_of_algorithm``: it flushes
what can be flushed within the bounded wait and reports what was delivered and what
was dropped.

Which sink a run uses is decided by :func:`select_execution_sink`:

=====================  =========================  ==============================
run                    configured                  sink
=====================  =========================  ==============================
backtest               anything                    discard (LEAN's result JSON has
                                                   the orders)
QuantConnect cloud     ``execution_webhook_url``   web notifications
QuantConnect cloud     no webhook                  discard (no Redis there)
local ``lean live``    a Redis URL                 Redis, even with a webhook
local ``lean live``    no Redis URL                discard
=====================  =========================  ==============================

Open-source LEAN accepts ``notify.web`` but never delivers it: its messaging
handlers drop every ``NotificationWeb`` (``Common/Notifications/Notification.cs``
``NotificationExtensions.CanSend``; ``Messaging/Messaging.cs`` ``SendNotification``),
so a webhook only works where QuantConnect's own messaging handler runs.
"""

from __future__ import annotations

import queue
import threading
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Protocol

from signal_bus.backoff import Backoff, BackoffConfig
from signal_bus.codec import encode
from signal_bus.errors import TransportConnectionError
from signal_bus.messages import Message
from signal_bus.redis_bus import RedisBus

DEFAULT_CLOSE_TIMEOUT_S = 2.0
# How long close() waits for the delivery thread once told to stop retrying (a publish
# blocked in a socket call ends at the connection's timeout, not here).
_STOP_GRACE_S = 0.5


@dataclass(frozen=True, slots=True)
class SinkReport:
    """What a sink did with the records it was given.

    Attributes
    ----------
    sink
        ``"discard"``, ``"memory"``, ``"web"`` or ``"redis"``.
    received
        Records passed to ``send``.
    delivered
        Records handed over: written to Redis, or accepted by LEAN's ``notify.web``.
    dropped
        Records not (known to be) delivered: ``received - delivered``.
    failed_attempts
        Delivery attempts that failed (a Redis outage counts every retry).
    last_error
        The last delivery error, if any.
    """

    sink: str
    received: int
    delivered: int
    dropped: int
    failed_attempts: int = 0
    last_error: str | None = None

    def log_line(self) -> str:
        """One ``key=value`` line for the algorithm's log."""
        line = (
            f"execution_sink_closed sink={self.sink} received={self.received} "
            f"delivered={self.delivered} dropped={self.dropped} "
            f"failed_attempts={self.failed_attempts}"
        )
        return line if self.last_error is None else f"{line} last_error={self.last_error}"


class ExecutionSink(Protocol):
    """Receives execution records."""

    def send(self, message: Message) -> None:
        """Deliver ``message`` (must not block on I/O for long, must not raise)."""

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> SinkReport:
        """Flush for at most about ``timeout`` seconds, release resources, report.

        Must not raise; calling it again returns the same counts.
        """


class DiscardSink:
    """Drops records: backtests, whose records come from LEAN's result JSON."""

    def __init__(self) -> None:
        self.received = 0

    def send(self, message: Message) -> None:
        """Ignore ``message``."""
        self.received += 1

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> SinkReport:
        """Nothing to flush."""
        return SinkReport("discard", self.received, 0, self.received)


class MemorySink:
    """Keeps records in a list: backtests and tests."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, message: Message) -> None:
        """Append ``message``."""
        self.messages.append(message)

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> SinkReport:
        """Nothing to flush; the records stay in :attr:`messages`."""
        count = len(self.messages)
        return SinkReport("memory", count, count, 0)


class WebNotifier(Protocol):
    """The part of LEAN's ``NotificationManager`` the web sink uses."""

    def web(self, address: str, data: Any = None, headers: Any = None) -> bool:
        """POST ``data`` to ``address``."""


class WebNotificationSink:
    """Posts each record as JSON with LEAN's ``notify.web`` (QuantConnect cloud live).

    ``notify.web`` only queues the notification (``NotificationManager.Web`` in
    ``Common/Notifications/NotificationManager.cs``); LEAN's live result handler sends
    the queue, and once more after ``on_end_of_algorithm``
    (``Engine/AlgorithmManager.cs``: ``ProcessSynchronousEvents(forceProcess: true)``),
    so :meth:`close` has nothing to flush.

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
        # NotificationManager.Web(string, object, PyObject) converts headers with
        # Common/Extensions.cs ConvertToDictionary<string, string>: str keys and values only.
        self._headers = {str(name): str(value) for name, value in (headers or {}).items()}
        self.received = 0
        self.failures = 0
        self.last_error: str | None = None

    def send(self, message: Message) -> None:
        """POST ``message``; count a refusal or an error as a failure."""
        self.received += 1
        body = encode(message).decode()
        try:
            if self._headers:
                # A real dict binds Web(string, object, PyObject) (pythonnet
                # MethodBinder.cs ArgPrecedence: PyObject 39 < Dictionary 40), and
                # Common/Extensions.cs ConvertToDictionary reads it as a PyDict.
                delivered = self._notifier.web(self._address, body, dict(self._headers))
            else:
                # Never pass headers=None: pythonnet MethodBinder.cs ranks the
                # Web(string, object, PyObject) overload first for a None argument and
                # ConvertToDictionary (Common/Extensions.cs) throws on None. With two
                # arguments only Web(string, object = null, Dictionary = null) matches
                # (MethodBinder.cs CheckMethodArgumentsMatch: the PyObject overload has
                # no default for headers).
                delivered = self._notifier.web(self._address, body)
        except Exception as error:  # noqa: BLE001 - a notification must never stop the algorithm
            self.last_error = f"{type(error).__name__}: {error}"
            delivered = False
        if not delivered:
            self.failures += 1

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> SinkReport:
        """Report; LEAN sends the queued notifications itself."""
        return SinkReport(
            "web",
            self.received,
            self.received - self.failures,
            self.failures,
            self.failures,
            self.last_error,
        )


class RedisExecutionSink:
    """Publishes records on ``execution_events`` from a background thread (local live).

    Each record goes through :meth:`RedisBus.publish` (stream, last value and pub/sub in
    one pipeline). The algorithm thread only queues; ``redis`` is imported in the thread.
    A lost connection is retried with backoff on the same record, keeping the order;
    any other error drops that record (counted in :attr:`rejected`) and the thread
    goes on.

    Attributes
    ----------
    sent
        Records written to Redis.
    dropped
        Records refused because the queue was full or the sink was closed.
    rejected
        Records Redis refused, or that could not be sent at all (no ``redis`` package).
    abandoned
        Records still undelivered when :meth:`close` stopped waiting.
    failures
        Failed publish attempts (every retry during an outage counts).
    """

    def __init__(self, redis_url: str, namespace: str = "", max_queue: int = 10_000) -> None:
        self._bus = RedisBus(url=redis_url, namespace=namespace)
        self._queue: queue.Queue[Message | None] = queue.Queue(maxsize=max_queue)
        self._lock = threading.Lock()
        self.received = 0
        self.dropped = 0
        self.failures = 0
        self.sent = 0
        self.rejected = 0
        self.abandoned = 0
        self.last_error: str | None = None
        self._closed = False
        self._closing = threading.Event()  # finish once the queue is empty
        self._stop = threading.Event()  # stop now, even with records left
        self._thread = threading.Thread(target=self._run, name="execution-sink", daemon=True)
        self._thread.start()

    def send(self, message: Message) -> None:
        """Queue ``message``; drop it (and count it) if the queue is full or closed."""
        with self._lock:
            self.received += 1
            if self._closed:
                self.dropped += 1
                return
            try:
                self._queue.put_nowait(message)
            except queue.Full:
                self.dropped += 1

    def close(self, timeout: float = DEFAULT_CLOSE_TIMEOUT_S) -> SinkReport:
        """Flush queued records for up to ``timeout`` seconds, then stop and disconnect.

        Records still queued (Redis unreachable for the whole wait) are abandoned and
        counted. Never raises; a second call only reports.
        """
        with self._lock:
            first = not self._closed
            self._closed = True
        if first:
            self._closing.set()
            # Wake the thread if it waits on an empty queue; a full queue means it is
            # busy and sees _closing before its next get.
            with suppress(queue.Full):
                self._queue.put_nowait(None)
            self._thread.join(max(0.0, timeout))
            if self._thread.is_alive():
                self._stop.set()  # Redis is still unreachable: give up on what is left
                self._thread.join(_STOP_GRACE_S)
            self._count_left_behind()
            try:
                self._bus.close()
            except Exception as error:  # noqa: BLE001 - closing must never raise
                self.last_error = f"{type(error).__name__}: {error}"
        return self.report()

    def report(self) -> SinkReport:
        """The counts so far."""
        with self._lock:
            return SinkReport(
                "redis",
                self.received,
                self.sent,
                self.received - self.sent,
                self.failures,
                self.last_error,
            )

    def _count_left_behind(self) -> None:
        while True:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                return
            if message is not None:
                with self._lock:
                    self.abandoned += 1

    def _run(self) -> None:
        backoff = Backoff(BackoffConfig(initial_delay_s=0.05, max_delay_s=1.0))
        while not self._stop.is_set():
            try:
                closing = self._closing.is_set()
                message = self._queue.get_nowait() if closing else self._queue.get()
            except queue.Empty:
                return  # closing and everything is delivered
            if message is not None:
                self._deliver(message, backoff)

    def _deliver(self, message: Message, backoff: Backoff) -> None:
        while True:
            try:
                self._bus.publish(message)
            except TransportConnectionError as error:
                # Lost connection: retry the same record, keeping the order.
                self._failed(error)
                if self._stop.wait(backoff.next_delay()):
                    with self._lock:
                        self.abandoned += 1
                    return
                continue
            except Exception as error:  # noqa: BLE001 - e.g. no redis package, a refused command
                self._failed(error)
                with self._lock:
                    self.rejected += 1
                return
            with self._lock:
                self.sent += 1
            backoff.reset()
            return

    def _failed(self, error: Exception) -> None:
        with self._lock:
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"


def select_execution_sink(
    *,
    live_mode: bool,
    cloud: bool,
    webhook_url: str,
    redis_url: str | None,
    namespace: str,
    notifier: WebNotifier,
    webhook_headers: dict[str, str] | None = None,
) -> ExecutionSink:
    """The sink for this run (the table in the module docstring).

    Parameters
    ----------
    live_mode
        The algorithm's ``live_mode``.
    cloud
        True when QuantConnect runs the algorithm: ``deployment_target`` is not
        ``DeploymentTarget.LOCAL_PLATFORM``. Open-source LEAN (``lean live``/``lean
        backtest``) always sets ``LocalPlatform`` (``Queues/JobQueue.cs``
        ``NextJob``), before ``initialize`` runs (``Engine/Setup/BaseSetupHandler.cs``
        ``Setup`` → ``SetDeploymentTarget``).
    webhook_url
        The backend's ingestion URL, or ``""``.
    redis_url
        The bus's URL, or None when no Redis is configured.
    namespace
        The bus namespace.
    notifier
        The algorithm's ``notify``.
    webhook_headers
        HTTP headers for the webhook (e.g. ``Authorization``).
    """
    if not live_mode:
        return DiscardSink()
    if cloud:
        # No Redis is reachable from QuantConnect's cloud; its messaging handler
        # delivers NotificationWeb.
        if webhook_url:
            return WebNotificationSink(notifier, webhook_url, webhook_headers)
        return DiscardSink()
    # Local LEAN queues notify.web but never sends it (Common/Notifications/Notification.cs
    # NotificationExtensions.CanSend is false for NotificationWeb), so a webhook is no use here.
    if redis_url:
        return RedisExecutionSink(redis_url, namespace)
    return DiscardSink()
