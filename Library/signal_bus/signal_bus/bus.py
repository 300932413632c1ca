"""The transport-independent bus interface.

:class:`Bus` implements publishing, last values and dead-letter reading on top of
a few transport primitives (streams, consumer groups, pub/sub, key/value) that
:class:`~signal_bus.redis_bus.RedisBus` and :class:`~signal_bus.memory_bus.InMemoryBus`
provide. The consumers in :mod:`signal_bus.subscriber` and
:mod:`signal_bus.group_consumer` use only these primitives, so both transports
share their semantics.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from signal_bus.channels import ChannelNames, require_channel
from signal_bus.codec import decode, encode
from signal_bus.errors import MessageValidationError
from signal_bus.messages import Message

DEFAULT_STREAM_MAX_LENGTH = 100_000


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One stream entry: its id and payload (None if the entry has no payload)."""

    entry_id: str
    payload: bytes | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message that failed validation, as stored in ``<channel>:dead``."""

    entry_id: str
    field: str
    reason: str
    payload: bytes
    source_id: str
    group: str
    consumer: str


class Subscription(Protocol):
    """An open pub/sub subscription."""

    def get(self, timeout: float) -> tuple[str, bytes] | None:
        """Return the next ``(channel, payload)`` within ``timeout`` seconds, or None.

        Raises :class:`~signal_bus.errors.TransportConnectionError` when the
        connection is lost.
        """

    def close(self) -> None:
        """Release the subscription."""


class Bus(ABC):
    """Publish messages and read last values; transport primitives for the consumers.

    Parameters
    ----------
    namespace
        Prefix for every channel and key (see :class:`~signal_bus.channels.ChannelNames`).
    stream_max_length
        Approximate bound on each channel's stream.
    """

    def __init__(
        self, *, namespace: str = "", stream_max_length: int = DEFAULT_STREAM_MAX_LENGTH
    ) -> None:
        if stream_max_length < 1:
            raise ValueError("stream_max_length must be >= 1")
        self.names = ChannelNames(namespace)
        self.stream_max_length = stream_max_length

    def __enter__(self) -> Bus:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def publish(self, message: Message) -> None:
        """Publish ``message`` on its channel: pub/sub, stream and last value at once."""
        self.publish_payload(message.channel, message.key, encode(message))

    def last(self, channel: str, key: str = "") -> Message | None:
        """Return the current value of ``key`` on ``channel``, or None if there is none.

        Raises
        ------
        MessageValidationError
            The stored value is not a valid message.
        """
        require_channel(channel)
        raw = self.read_last(channel, key)
        return None if raw is None else decode(raw, channel)

    def last_values(self, channel: str) -> dict[str, Message]:
        """Return every current value on ``channel`` by key, skipping invalid ones."""
        values: dict[str, Message] = {}
        for raw in self.read_all_last(channel):
            try:
                message = decode(raw, channel)
            except MessageValidationError:
                continue
            values[message.key] = message
        return values

    def dead_letters(self, channel: str, count: int = 100) -> list[DeadLetter]:
        """Return up to ``count`` of the newest dead letters of ``channel``, oldest first."""
        return [
            _dead_letter(entry_id, fields) for entry_id, fields in self.read_dead(channel, count)
        ]

    def close(self) -> None:  # noqa: B027
        """Release connections (no-op by default)."""

    # ---------------------------------------------------------------- primitives

    @abstractmethod
    def publish_payload(self, channel: str, key: str, payload: bytes) -> None:
        """Publish an encoded message: PUBLISH, XADD to the bounded stream, SET last value."""

    @abstractmethod
    def read_last(self, channel: str, key: str) -> bytes | None:
        """Return the stored last value of ``key`` on ``channel``."""

    @abstractmethod
    def read_all_last(self, channel: str) -> list[bytes]:
        """Return every stored last value of ``channel``."""

    @abstractmethod
    def open_subscription(self, channels: Sequence[str]) -> Subscription:
        """Subscribe to the pub/sub side of ``channels``."""

    @abstractmethod
    def ensure_group(self, channel: str, group: str) -> None:
        """Create consumer ``group`` on the stream of ``channel`` (from its start) if missing."""

    @abstractmethod
    def read_group(
        self, channel: str, group: str, consumer: str, *, count: int, block_ms: int, pending: bool
    ) -> list[StreamEntry]:
        """Read new entries for ``consumer`` (or, with ``pending``, its unacknowledged ones)."""

    @abstractmethod
    def acknowledge(self, channel: str, group: str, entry_ids: Sequence[str]) -> int:
        """Acknowledge entries; return how many were pending."""

    @abstractmethod
    def claim_idle(
        self, channel: str, group: str, consumer: str, *, min_idle_ms: int, start: str, count: int
    ) -> tuple[str, list[StreamEntry]]:
        """Claim pending entries idle for ``min_idle_ms``; return the next cursor and them."""

    @abstractmethod
    def pending_count(self, channel: str, group: str) -> int:
        """Return how many entries of ``group`` are delivered but not acknowledged."""

    @abstractmethod
    def group_lag(self, channel: str, group: str) -> int | None:
        """Return how many entries ``group`` has not read yet (None if unknown)."""

    @abstractmethod
    def add_dead_letter(self, channel: str, fields: Mapping[str, bytes]) -> str:
        """Append an entry to the dead-letter stream of ``channel``; return its id."""

    @abstractmethod
    def read_dead(self, channel: str, count: int) -> list[tuple[str, dict[str, bytes]]]:
        """Return up to ``count`` newest dead-letter entries, oldest first."""

    @abstractmethod
    def read_stream(
        self, channel: str, *, after: str, count: int, block_ms: int | None
    ) -> list[StreamEntry]:
        """Return entries of the stream after id ``after`` (``"$"``: only new ones)."""


def _dead_letter(entry_id: str, fields: Mapping[str, bytes]) -> DeadLetter:
    def text(name: str) -> str:
        return fields.get(name, b"").decode("utf-8", "replace")

    return DeadLetter(
        entry_id=entry_id,
        field=text("field"),
        reason=text("reason"),
        payload=fields.get("payload", b""),
        source_id=text("source_id"),
        group=text("group"),
        consumer=text("consumer"),
    )
