"""In-process transport with Redis' semantics, for embedded runs and pure tests.

Streams keep entry ids ``"<n>-0"``; consumer groups track delivered-but-unacknowledged
entries per consumer with their delivery time, so claiming idle entries works as with
Redis. :meth:`InMemoryBus.set_available` simulates losing the server.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from signal_bus.bus import DEFAULT_STREAM_MAX_LENGTH, Bus, StreamEntry
from signal_bus.channels import require_channel
from signal_bus.errors import TransportConnectionError


def _sequence(entry_id: str) -> int:
    head = entry_id.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


@dataclass
class _PendingEntry:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass
class _Group:
    last_delivered: int = 0
    pending: dict[str, _PendingEntry] = field(default_factory=dict)


@dataclass
class _Stream:
    entries: OrderedDict[str, bytes] = field(default_factory=OrderedDict)
    next_sequence: int = 1
    groups: dict[str, _Group] = field(default_factory=dict)


class _MemorySubscription:
    def __init__(self, bus: InMemoryBus, channels: frozenset[str]) -> None:
        self._bus = bus
        self.channels = channels
        self.queue: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        self.broken = False

    def get(self, timeout: float) -> tuple[str, bytes] | None:
        if self.broken:
            raise TransportConnectionError("in-memory bus connection lost")
        try:
            item = self.queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        if item is None:
            raise TransportConnectionError("in-memory bus connection lost")
        return item

    def close(self) -> None:
        self._bus._remove_subscription(self)


class InMemoryBus(Bus):
    """A :class:`~signal_bus.bus.Bus` kept in this process's memory.

    Parameters
    ----------
    namespace
        Accepted for interface parity; names are per instance anyway.
    stream_max_length
        Exact bound on each channel's stream.
    clock
        Monotonic seconds, used for the idle time of pending entries.
    """

    def __init__(
        self,
        *,
        namespace: str = "",
        stream_max_length: int = DEFAULT_STREAM_MAX_LENGTH,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(namespace=namespace, stream_max_length=stream_max_length)
        self._clock = clock
        self._condition = threading.Condition()
        self._last: dict[tuple[str, str], bytes] = {}
        self._streams: dict[str, _Stream] = {}
        self._dead: dict[str, _Stream] = {}
        self._subscriptions: list[_MemorySubscription] = []
        self._available = True

    # ---------------------------------------------------------------- fault injection

    def set_available(self, available: bool) -> None:
        """Simulate losing (False) or regaining (True) the server.

        While unavailable every operation raises
        :class:`~signal_bus.errors.TransportConnectionError` and open subscriptions break.
        """
        with self._condition:
            self._available = available
            if not available:
                for subscription in self._subscriptions:
                    subscription.broken = True
                    subscription.queue.put(None)
                self._subscriptions.clear()
            self._condition.notify_all()

    def _check(self) -> None:
        if not self._available:
            raise TransportConnectionError("in-memory bus is unavailable")

    def _remove_subscription(self, subscription: _MemorySubscription) -> None:
        with self._condition:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)

    # ---------------------------------------------------------------- primitives

    def publish_payload(self, channel: str, key: str, payload: bytes) -> None:
        """Publish an encoded message: stream, last value, then subscribers."""
        require_channel(channel)
        with self._condition:
            self._check()
            self._append(self._streams, channel, payload)
            self._last[(channel, key)] = payload
            for subscription in self._subscriptions:
                if channel in subscription.channels:
                    subscription.queue.put((channel, payload))
            self._condition.notify_all()

    def _append(self, streams: dict[str, _Stream], channel: str, payload: bytes) -> str:
        stream = streams.setdefault(channel, _Stream())
        entry_id = f"{stream.next_sequence}-0"
        stream.next_sequence += 1
        stream.entries[entry_id] = payload
        while len(stream.entries) > self.stream_max_length:
            stream.entries.popitem(last=False)
        return entry_id

    def read_last(self, channel: str, key: str) -> bytes | None:
        """Return the stored last value of ``key`` on ``channel``."""
        with self._condition:
            self._check()
            return self._last.get((channel, key))

    def read_all_last(self, channel: str) -> list[bytes]:
        """Return every stored last value of ``channel``."""
        with self._condition:
            self._check()
            return [payload for (name, _), payload in self._last.items() if name == channel]

    def open_subscription(self, channels: Sequence[str]) -> _MemorySubscription:
        """Subscribe to the pub/sub side of ``channels``."""
        for channel in channels:
            require_channel(channel)
        with self._condition:
            self._check()
            subscription = _MemorySubscription(self, frozenset(channels))
            self._subscriptions.append(subscription)
            return subscription

    def ensure_group(self, channel: str, group: str) -> None:
        """Create ``group`` reading the stream of ``channel`` from its start, if missing."""
        require_channel(channel)
        with self._condition:
            self._check()
            self._streams.setdefault(channel, _Stream()).groups.setdefault(group, _Group())

    def _group(self, channel: str, group: str) -> tuple[_Stream, _Group]:
        stream = self._streams.get(channel)
        if stream is None or group not in stream.groups:
            raise KeyError(f"no consumer group {group!r} on {channel!r}")
        return stream, stream.groups[group]

    def read_group(
        self, channel: str, group: str, consumer: str, *, count: int, block_ms: int, pending: bool
    ) -> list[StreamEntry]:
        """Read new entries for ``consumer`` (or, with ``pending``, its unacknowledged ones)."""
        deadline = self._clock() + block_ms / 1000.0
        with self._condition:
            while True:
                self._check()
                stream, state = self._group(channel, group)
                if pending:
                    return self._own_pending(stream, state, consumer, count)
                fresh = [
                    (entry_id, payload)
                    for entry_id, payload in stream.entries.items()
                    if _sequence(entry_id) > state.last_delivered
                ][:count]
                if fresh:
                    now = self._clock()
                    for entry_id, _ in fresh:
                        state.pending[entry_id] = _PendingEntry(consumer, now, 1)
                    state.last_delivered = _sequence(fresh[-1][0])
                    return [StreamEntry(entry_id, payload) for entry_id, payload in fresh]
                remaining = deadline - self._clock()
                if block_ms <= 0 or remaining <= 0:
                    return []
                self._condition.wait(remaining)

    def _own_pending(
        self, stream: _Stream, state: _Group, consumer: str, count: int
    ) -> list[StreamEntry]:
        entries = []
        for entry_id, entry in sorted(state.pending.items(), key=lambda item: _sequence(item[0])):
            if entry.consumer != consumer:
                continue
            entry.deliveries += 1
            entry.delivered_at = self._clock()
            entries.append(StreamEntry(entry_id, stream.entries.get(entry_id)))
            if len(entries) >= count:
                break
        return entries

    def acknowledge(self, channel: str, group: str, entry_ids: Sequence[str]) -> int:
        """Acknowledge entries; return how many were pending."""
        with self._condition:
            self._check()
            _, state = self._group(channel, group)
            return sum(state.pending.pop(entry_id, None) is not None for entry_id in entry_ids)

    def claim_idle(
        self, channel: str, group: str, consumer: str, *, min_idle_ms: int, start: str, count: int
    ) -> tuple[str, list[StreamEntry]]:
        """Claim pending entries idle for ``min_idle_ms``; return the next cursor and them."""
        with self._condition:
            self._check()
            stream, state = self._group(channel, group)
            now = self._clock()
            first = _sequence(start)
            claimed: list[StreamEntry] = []
            candidates = sorted(state.pending.items(), key=lambda item: _sequence(item[0]))
            for entry_id, entry in candidates:
                if _sequence(entry_id) < first:
                    continue
                if len(claimed) >= count:
                    return entry_id, claimed
                if (now - entry.delivered_at) * 1000.0 < min_idle_ms:
                    continue
                payload = stream.entries.get(entry_id)
                if payload is None:
                    del state.pending[entry_id]
                    continue
                state.pending[entry_id] = _PendingEntry(consumer, now, entry.deliveries + 1)
                claimed.append(StreamEntry(entry_id, payload))
            return "0-0", claimed

    def pending_count(self, channel: str, group: str) -> int:
        """Return how many entries of ``group`` are delivered but not acknowledged."""
        with self._condition:
            self._check()
            return len(self._group(channel, group)[1].pending)

    def group_lag(self, channel: str, group: str) -> int | None:
        """Return how many entries ``group`` has not read yet."""
        with self._condition:
            self._check()
            stream, state = self._group(channel, group)
            return sum(_sequence(entry_id) > state.last_delivered for entry_id in stream.entries)

    def add_dead_letter(self, channel: str, fields: Mapping[str, bytes]) -> str:
        """Append an entry to the dead-letter stream of ``channel``; return its id."""
        require_channel(channel)
        with self._condition:
            self._check()
            return self._append(self._dead, channel, _pack(fields))

    def read_dead(self, channel: str, count: int) -> list[tuple[str, dict[str, bytes]]]:
        """Return up to ``count`` newest dead-letter entries, oldest first."""
        with self._condition:
            self._check()
            stream = self._dead.get(channel)
            items = list(stream.entries.items())[-count:] if stream and count > 0 else []
            return [(entry_id, _unpack(payload)) for entry_id, payload in items]

    def read_stream(
        self, channel: str, *, after: str, count: int, block_ms: int | None
    ) -> list[StreamEntry]:
        """Return entries of the stream after id ``after`` (``"$"``: only new ones)."""
        require_channel(channel)
        with self._condition:
            self._check()
            stream = self._streams.setdefault(channel, _Stream())
            first = stream.next_sequence - 1 if after == "$" else _sequence(after)
            deadline = self._clock() + (block_ms or 0) / 1000.0
            while True:
                found = [
                    StreamEntry(entry_id, payload)
                    for entry_id, payload in stream.entries.items()
                    if _sequence(entry_id) > first
                ][:count]
                remaining = deadline - self._clock()
                if found or block_ms is None or remaining <= 0:
                    return found
                self._condition.wait(remaining)
                self._check()


def _pack(fields: Mapping[str, bytes]) -> bytes:
    # Length-prefixed so arbitrary bytes survive.
    parts = []
    for name, value in fields.items():
        encoded = name.encode()
        parts.append(b"%d:%s%d:%s" % (len(encoded), encoded, len(value), value))
    return b"".join(parts)


def _unpack(packed: bytes) -> dict[str, bytes]:
    fields: dict[str, bytes] = {}
    position = 0
    while position < len(packed):
        values = []
        for _ in range(2):
            colon = packed.index(b":", position)
            length = int(packed[position:colon])
            values.append(packed[colon + 1 : colon + 1 + length])
            position = colon + 1 + length
        fields[values[0].decode()] = values[1]
    return fields
