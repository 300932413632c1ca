"""``LatestValueSubscriber``: the latest message per (channel, key), kept by a background thread.

Made for LEAN: the algorithm thread reads with :meth:`LatestValueSubscriber.latest`,
a dictionary lookup that never waits for the network. The thread subscribes, then
reads the stored last values (so it starts from the present), then applies pub/sub
messages as they arrive. When the connection is lost it reconnects with
exponential backoff and re-reads the last values.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType

from signal_bus.backoff import Backoff, BackoffConfig
from signal_bus.bus import Bus, Subscription
from signal_bus.channels import require_channel
from signal_bus.codec import decode
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.messages import Message

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubscriberConfig:
    """Settings of a :class:`LatestValueSubscriber`.

    Attributes
    ----------
    channels
        Channels to follow.
    poll_timeout_s
        Longest wait for one pub/sub message before checking the stop flag.
    backoff
        Reconnect delays.
    """

    channels: tuple[str, ...]
    poll_timeout_s: float = 0.2
    backoff: BackoffConfig = field(default_factory=BackoffConfig)

    def __post_init__(self) -> None:
        if not self.channels:
            raise ValueError("channels must not be empty")
        for channel in self.channels:
            require_channel(channel)
        if self.poll_timeout_s <= 0:
            raise ValueError("poll_timeout_s must be positive")


@dataclass(frozen=True, slots=True)
class SubscriberHealth:
    """A snapshot of a subscriber's state.

    Attributes
    ----------
    connected
        Subscribed and caught up with the last values.
    last_message_time
        Wall-clock seconds when the last valid message was applied (None: never).
    reconnects
        Times the connection was re-established after being lost.
    connection_failures
        Failed connection attempts and lost connections.
    messages
        Valid messages applied (last values read included).
    invalid_messages
        Messages that failed validation and were skipped.
    last_error
        Text of the latest connection or validation error.
    """

    connected: bool = False
    last_message_time: float | None = None
    reconnects: int = 0
    connection_failures: int = 0
    messages: int = 0
    invalid_messages: int = 0
    last_error: str = ""


class LatestValueSubscriber:
    """Keeps the latest message per (channel, key) from a bus, in a daemon thread.

    Parameters
    ----------
    bus
        The transport (:class:`~signal_bus.redis_bus.RedisBus` or
        :class:`~signal_bus.memory_bus.InMemoryBus`).
    config
        Channels and timing.
    on_message
        Optional callback run in the subscriber thread after each update; it must be quick.
    clock
        Wall-clock seconds for :attr:`SubscriberHealth.last_message_time`.
    """

    def __init__(
        self,
        bus: Bus,
        config: SubscriberConfig,
        *,
        on_message: Callable[[Message], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self.config = config
        self._on_message = on_message
        self._clock = clock
        self._values: dict[tuple[str, str], Message] = {}
        self._health = SubscriberHealth()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ever_connected = False
        self._messages = 0
        self._last_message_time: float | None = None

    # ---------------------------------------------------------------- reading

    def latest(self, channel: str, key: str = "") -> Message | None:
        """Return the latest message for ``key`` on ``channel`` (never blocks on I/O)."""
        with self._lock:
            return self._values.get((channel, key))

    def values(self, channel: str) -> dict[str, Message]:
        """Return a copy of the latest messages on ``channel`` by key."""
        with self._lock:
            return {key: value for (name, key), value in self._values.items() if name == channel}

    def health(self) -> SubscriberHealth:
        """Return the current health snapshot."""
        with self._lock:
            return replace(
                self._health,
                messages=self._messages,
                last_message_time=self._last_message_time,
            )

    def wait_until_connected(self, timeout: float) -> bool:
        """Block until connected and caught up, or ``timeout`` seconds pass."""
        with self._changed:
            return self._changed.wait_for(lambda: self._health.connected, timeout)

    def wait_for(
        self,
        channel: str,
        key: str = "",
        *,
        timeout: float,
        predicate: Callable[[Message], bool] | None = None,
    ) -> Message | None:
        """Block until a message for ``key`` (matching ``predicate``) is present; for tools and tests."""

        def found() -> Message | None:
            message = self._values.get((channel, key))
            if message is not None and (predicate is None or predicate(message)):
                return message
            return None

        with self._changed:
            self._changed.wait_for(lambda: found() is not None, timeout)
            return found()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> LatestValueSubscriber:
        """Start the background thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="signal-bus-subscriber", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background thread and wait up to ``timeout`` seconds for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._set_health(connected=False)

    def __enter__(self) -> LatestValueSubscriber:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- thread

    def _run(self) -> None:
        backoff = Backoff(self.config.backoff)
        while not self._stop.is_set():
            subscription: Subscription | None = None
            try:
                subscription = self._bus.open_subscription(self.config.channels)
                self._catch_up()
                backoff.reset()
                self._mark_connected()
                self._listen(subscription)
            except (TransportConnectionError, ImportError) as error:
                self._mark_failed(error)
                self._stop.wait(backoff.next_delay())
            except Exception as error:  # keep the thread alive whatever a callback does
                _log.exception("signal bus subscriber error")
                self._mark_failed(error)
                self._stop.wait(backoff.next_delay())
            finally:
                if subscription is not None:
                    subscription.close()

    def _catch_up(self) -> None:
        for channel in self.config.channels:
            for raw in self._bus.read_all_last(channel):
                self._apply(channel, raw)

    def _listen(self, subscription: Subscription) -> None:
        timeout = self.config.poll_timeout_s
        while not self._stop.is_set():
            item = subscription.get(timeout)
            if item is not None:
                self._apply(item[0], item[1])

    def _apply(self, channel: str, raw: bytes) -> None:
        try:
            message = decode(raw, channel)
        except MessageValidationError as error:
            with self._lock:
                self._health = replace(
                    self._health,
                    invalid_messages=self._health.invalid_messages + 1,
                    last_error=str(error),
                )
            return
        with self._changed:
            self._values[(channel, message.key)] = message
            self._messages += 1
            self._last_message_time = self._clock()
            self._changed.notify_all()
        if self._on_message is not None:
            try:
                self._on_message(message)
            except Exception:
                _log.exception("signal bus subscriber callback failed")

    def _mark_connected(self) -> None:
        with self._changed:
            reconnects = self._health.reconnects + (1 if self._ever_connected else 0)
            self._ever_connected = True
            self._health = replace(self._health, connected=True, reconnects=reconnects)
            self._changed.notify_all()

    def _mark_failed(self, error: BaseException) -> None:
        with self._changed:
            self._health = replace(
                self._health,
                connected=False,
                connection_failures=self._health.connection_failures + 1,
                last_error=f"{type(error).__name__}: {error}",
            )
            self._changed.notify_all()

    def _set_health(self, *, connected: bool) -> None:
        with self._changed:
            self._health = replace(self._health, connected=connected)
            self._changed.notify_all()


def subscribe_latest(
    bus: Bus, channels: Sequence[str], *, poll_timeout_s: float = 0.2
) -> LatestValueSubscriber:
    """Start and return a :class:`LatestValueSubscriber` following ``channels``."""
    config = SubscriberConfig(channels=tuple(channels), poll_timeout_s=poll_timeout_s)
    return LatestValueSubscriber(bus, config).start()
