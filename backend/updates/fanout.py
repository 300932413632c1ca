"""One bus reader per process, fanning messages out to the gateway's connections.

A daemon thread follows the bus through ``signal_bus`` (its pub/sub subscription, its
last values and its codec; never Redis directly): it subscribes, reads every channel's
last values, then decodes each published message and hands it to the event loop, which
keeps the current value per (channel, key) and offers the message to every listener. A
lost connection is retried with the bus's backoff; listeners are told the gateway is
``reconnecting`` and, once subscribed again, get ``live`` and the current values.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from signal_bus.backoff import Backoff, BackoffConfig
from signal_bus.bus import Bus, Subscription
from signal_bus.channels import ALL_CHANNELS
from signal_bus.codec import decode, encode
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.messages import Message

from .metrics import UPDATES_BUS_CONNECTED, UPDATES_BUS_RECONNECTS, UPDATES_INVALID_MESSAGES
from .protocol import STATE_LIVE, STATE_RECONNECTING, message_frame
from .protocol import Subscription as ClientSubscription

logger = logging.getLogger(__name__)

# Messages handed to the event loop at once when the bus delivers a burst.
BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class BusEntry:
    """A decoded bus message with its ready-made ``message`` frame."""

    channel: str
    message: Message
    frame: str
    published_at: float


class Listener(Protocol):
    """A connection the fan-out serves (called on the event loop's thread)."""

    def bus_message(self, entry: BusEntry) -> None:
        """A live message (filtering is the listener's)."""

    def bus_state(self, state: str, current: Sequence[BusEntry]) -> None:
        """The bus connection changed; after ``live``, ``current`` holds every current value."""


def entry_decode(channel: str, raw: bytes) -> BusEntry | None:
    """Decode ``raw`` with the bus codec; None (and counted) when it breaks the contract."""
    try:
        message = decode(raw, channel)
    except MessageValidationError:
        UPDATES_INVALID_MESSAGES.labels(channel).inc()
        return None
    return BusEntry(
        channel=channel,
        message=message,
        frame=message_frame(channel, encode(message).decode()),
        published_at=message.ts_init.timestamp(),
    )


class BusFanout:
    """Follows the bus channels in a thread; fans messages out on one asyncio loop.

    Parameters
    ----------
    bus_factory
        Returns the bus to read (called in the reader thread).
    channels
        The channels followed.
    backoff
        Reconnect delays (the bus's own schedule by default).
    poll_timeout_s
        How long one read waits before the stop flag is checked.
    """

    def __init__(
        self,
        *,
        bus_factory: Callable[[], Bus],
        channels: Sequence[str] = ALL_CHANNELS,
        backoff: BackoffConfig | None = None,
        poll_timeout_s: float = 0.2,
    ) -> None:
        self._bus_factory = bus_factory
        self.channels = tuple(channels)
        self._backoff = backoff or BackoffConfig()
        self._poll_timeout_s = poll_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._listeners: set[Listener] = set()
        self._current: dict[tuple[str, str], BusEntry] = {}
        self._first_answer: asyncio.Event | None = None
        self.state = STATE_RECONNECTING
        self.reconnects = 0

    # ------------------------------------------------------------ event loop side

    def attach(self, listener: Listener) -> None:
        """Serve ``listener``; the reader starts with the first one (on the running loop)."""
        self._start(asyncio.get_running_loop())
        self._listeners.add(listener)

    def detach(self, listener: Listener) -> None:
        """Stop serving ``listener``."""
        self._listeners.discard(listener)

    def listeners(self) -> tuple[Listener, ...]:
        """The attached listeners (the gateway's authenticated connections)."""
        return tuple(self._listeners)

    async def wait_ready(self, timeout: float) -> bool:
        """Wait until the first connection attempt succeeded or failed; whether it is live."""
        if self._first_answer is not None and not self._first_answer.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._first_answer.wait(), timeout)
        return self.state == STATE_LIVE

    def current(self, subscription: ClientSubscription) -> list[BusEntry]:
        """The current values ``subscription`` covers, by channel, then oldest first."""
        order = {channel: index for index, channel in enumerate(ALL_CHANNELS)}
        chosen = [
            entry
            for entry in self._current.values()
            if subscription.matches(entry.channel, entry.message)
        ]
        chosen.sort(key=lambda entry: (order[entry.channel], entry.message.ts_event))
        return chosen

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._loop = loop
        self._first_answer = asyncio.Event()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="updates-bus-reader", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the reader thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def _on_batch(self, entries: Iterable[BusEntry]) -> None:
        for entry in entries:
            key = (entry.channel, entry.message.key)
            known = self._current.get(key)
            if known is not None and known.message.id == entry.message.id:
                continue  # already sent as a current value read after subscribing
            self._current[key] = entry
            for listener in tuple(self._listeners):
                listener.bus_message(entry)

    def _on_live(self, snapshot: list[BusEntry]) -> None:
        self._current = {(entry.channel, entry.message.key): entry for entry in snapshot}
        self.state = STATE_LIVE
        UPDATES_BUS_CONNECTED.set(1)
        if self._first_answer is not None:
            self._first_answer.set()
        current = list(self._current.values())
        for listener in tuple(self._listeners):
            listener.bus_state(STATE_LIVE, current)

    def _on_lost(self) -> None:
        UPDATES_BUS_CONNECTED.set(0)
        if self._first_answer is not None:
            self._first_answer.set()
        if self.state == STATE_RECONNECTING:
            return
        self.state = STATE_RECONNECTING
        self.reconnects += 1
        UPDATES_BUS_RECONNECTS.inc()
        for listener in tuple(self._listeners):
            listener.bus_state(STATE_RECONNECTING, ())

    # ------------------------------------------------------------ reader thread

    def _post(self, callback: Callable[..., None], *arguments: object) -> bool:
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(callback, *arguments)
        except RuntimeError:  # the loop closed meanwhile
            return False
        return True

    def _run(self) -> None:
        backoff = Backoff(self._backoff)
        bus: Bus | None = None
        while not self._stop.is_set():
            subscription: Subscription | None = None
            try:
                bus = bus or self._bus_factory()
                subscription = bus.open_subscription(self.channels)
                snapshot = [
                    entry
                    for channel in self.channels
                    for raw in bus.read_all_last(channel)
                    if (entry := entry_decode(channel, raw)) is not None
                ]
                if not self._post(self._on_live, snapshot):
                    return
                backoff.reset()
                self._listen(subscription)
            except (TransportConnectionError, ImportError) as error:
                logger.warning("updates_bus_lost: %s", error)
                if not self._post(self._on_lost):
                    return
                self._stop.wait(backoff.next_delay())
            except Exception:  # keep following the bus whatever happens
                logger.exception("updates_bus_reader_failed")
                if not self._post(self._on_lost):
                    return
                self._stop.wait(backoff.next_delay())
            finally:
                if subscription is not None:
                    subscription.close()

    def _listen(self, subscription: Subscription) -> None:
        while not self._stop.is_set():
            item = subscription.get(self._poll_timeout_s)
            if item is None:
                continue
            batch: list[BusEntry] = []
            while item is not None:
                entry = entry_decode(item[0], item[1])
                if entry is not None:
                    batch.append(entry)
                if len(batch) >= BATCH_SIZE:
                    break
                item = subscription.get(0)
            if batch and not self._post(self._on_batch, batch):
                return
