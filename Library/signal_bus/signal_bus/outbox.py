"""``OutboxBus``: a bus whose publishes survive a lost connection.

A publish that cannot reach the transport is kept, in order, in a bounded in-memory
outbox; every later publish and every :meth:`OutboxBus.flush` first sends what is
waiting, oldest first. Nothing is dropped silently: when the outbox is full a publish
raises :class:`OutboxFullError` and the caller decides (retry later, fail the task).
A message sent twice (the transport applied it but the reply was lost) keeps its
``id``, so consumers that store by id store it once.

Reads and consumer-group primitives go straight to the wrapped bus.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from signal_bus.bus import Bus, StreamEntry, Subscription
from signal_bus.errors import TransportConnectionError

DEFAULT_OUTBOX_CAPACITY = 100_000


class OutboxFullError(TransportConnectionError):
    """The transport is unreachable and the outbox holds ``capacity`` messages already."""


@dataclass
class OutboxStats:
    """Counters of an :class:`OutboxBus`.

    Attributes
    ----------
    accepted
        Publishes accepted (sent at once or buffered).
    sent
        Messages the transport acknowledged.
    buffered
        Publishes that had to wait in the outbox (the transport was unreachable or
        older messages were waiting).
    pending
        Messages waiting in the outbox now.
    refused
        Publishes refused because the outbox was full.
    failed_attempts
        Sends that failed with a lost connection.
    """

    accepted: int = 0
    sent: int = 0
    buffered: int = 0
    pending: int = 0
    refused: int = 0
    failed_attempts: int = 0


class OutboxBus(Bus):
    """Wrap ``bus`` so publishes wait in a bounded outbox while the transport is down.

    Parameters
    ----------
    bus
        The transport (e.g. a :class:`~signal_bus.redis_bus.RedisBus`).
    capacity
        Most messages kept waiting.
    """

    def __init__(self, bus: Bus, *, capacity: int = DEFAULT_OUTBOX_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        super().__init__(namespace=bus.names.namespace, stream_max_length=bus.stream_max_length)
        self.inner = bus
        self.names = bus.names
        self.capacity = capacity
        self._waiting: deque[tuple[str, str, bytes]] = deque()
        self._lock = threading.Lock()
        self._stats = OutboxStats()

    @property
    def stats(self) -> OutboxStats:
        """A copy of the counters."""
        with self._lock:
            return replace(self._stats, pending=len(self._waiting))

    @property
    def pending(self) -> int:
        """Messages waiting in the outbox."""
        with self._lock:
            return len(self._waiting)

    def publish_payload(self, channel: str, key: str, payload: bytes) -> None:
        """Send ``payload`` after everything waiting; keep it in the outbox if the transport is down.

        Raises
        ------
        OutboxFullError
            The transport is unreachable and the outbox is full; the message was not kept.
        """
        with self._lock:
            if self._waiting:
                self._flush_locked()
            if not self._waiting:
                try:
                    self.inner.publish_payload(channel, key, payload)
                except TransportConnectionError:
                    self._stats.failed_attempts += 1
                else:
                    self._stats.accepted += 1
                    self._stats.sent += 1
                    return
            if len(self._waiting) >= self.capacity:
                self._stats.refused += 1
                raise OutboxFullError(
                    f"outbox full ({self.capacity} messages) while the transport is unreachable"
                )
            self._waiting.append((channel, key, payload))
            self._stats.accepted += 1
            self._stats.buffered += 1

    def flush(self) -> int:
        """Send waiting messages, oldest first, until done or the transport fails; return how many remain."""
        with self._lock:
            self._flush_locked()
            return len(self._waiting)

    def flush_until_empty(
        self,
        timeout_s: float,
        *,
        interval_s: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> bool:
        """Retry :meth:`flush` every ``interval_s`` for up to ``timeout_s``; return whether it emptied."""
        deadline = clock() + timeout_s
        while self.flush() > 0:
            if clock() >= deadline:
                return False
            sleep(interval_s)
        return True

    def _flush_locked(self) -> None:
        while self._waiting:
            channel, key, payload = self._waiting[0]
            try:
                self.inner.publish_payload(channel, key, payload)
            except TransportConnectionError:
                self._stats.failed_attempts += 1
                return
            self._waiting.popleft()
            self._stats.sent += 1

    def close(self) -> None:
        """Close the wrapped bus (messages still waiting are lost with this process)."""
        self.inner.close()

    # ---------------------------------------------------------------- delegated primitives

    def read_last(self, channel: str, key: str) -> bytes | None:
        """Delegate to the wrapped bus."""
        return self.inner.read_last(channel, key)

    def read_all_last(self, channel: str) -> list[bytes]:
        """Delegate to the wrapped bus."""
        return self.inner.read_all_last(channel)

    def open_subscription(self, channels: Sequence[str]) -> Subscription:
        """Delegate to the wrapped bus."""
        return self.inner.open_subscription(channels)

    def ensure_group(self, channel: str, group: str) -> None:
        """Delegate to the wrapped bus."""
        self.inner.ensure_group(channel, group)

    def read_group(
        self, channel: str, group: str, consumer: str, *, count: int, block_ms: int, pending: bool
    ) -> list[StreamEntry]:
        """Delegate to the wrapped bus."""
        return self.inner.read_group(
            channel, group, consumer, count=count, block_ms=block_ms, pending=pending
        )

    def acknowledge(self, channel: str, group: str, entry_ids: Sequence[str]) -> int:
        """Delegate to the wrapped bus."""
        return self.inner.acknowledge(channel, group, entry_ids)

    def claim_idle(
        self, channel: str, group: str, consumer: str, *, min_idle_ms: int, start: str, count: int
    ) -> tuple[str, list[StreamEntry]]:
        """Delegate to the wrapped bus."""
        return self.inner.claim_idle(
            channel, group, consumer, min_idle_ms=min_idle_ms, start=start, count=count
        )

    def pending_count(self, channel: str, group: str) -> int:
        """Delegate to the wrapped bus."""
        return self.inner.pending_count(channel, group)

    def group_lag(self, channel: str, group: str) -> int | None:
        """Delegate to the wrapped bus."""
        return self.inner.group_lag(channel, group)

    def add_dead_letter(self, channel: str, fields: Mapping[str, bytes]) -> str:
        """Delegate to the wrapped bus."""
        return self.inner.add_dead_letter(channel, fields)

    def read_dead(self, channel: str, count: int) -> list[tuple[str, dict[str, bytes]]]:
        """Delegate to the wrapped bus."""
        return self.inner.read_dead(channel, count)

    def read_stream(
        self, channel: str, *, after: str, count: int, block_ms: int | None
    ) -> list[StreamEntry]:
        """Delegate to the wrapped bus."""
        return self.inner.read_stream(channel, after=after, count=count, block_ms=block_ms)
