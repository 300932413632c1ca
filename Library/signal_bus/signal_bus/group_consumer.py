"""``GroupConsumer``: at-least-once processing of a channel's stream with a consumer group.

For the backend and the engines. Each cycle the consumer

1. on start, re-reads entries it was given before but never acknowledged;
2. every ``claim_interval_s``, claims entries other consumers left pending for longer
   than ``claim_idle_ms`` (their process died);
3. reads new entries (XREADGROUP, blocking up to ``block_ms``);
4. decodes each; a malformed one goes to ``<channel>:dead`` with the reason and raw
   payload and is then acknowledged;
5. calls the handler and acknowledges only what the handler finished. A handler
   error leaves the entries pending; they are retried after ``handler_retry_delay_s``
   while new entries keep flowing, and, if ``max_handler_failures`` is set, are
   dead-lettered after that many failures in this process.

Lost connections are retried with exponential backoff; a consumer group that vanished
(e.g. Redis restarted without persistence) is created again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from signal_bus.backoff import Backoff, BackoffConfig
from signal_bus.bus import Bus, StreamEntry
from signal_bus.channels import require_channel
from signal_bus.codec import decode
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.messages import Message

_log = logging.getLogger(__name__)

MessageHandler = Callable[[Message], None]
BatchHandler = Callable[[Sequence[Message]], None]


@dataclass(frozen=True, slots=True)
class GroupConsumerConfig:
    """Settings of a :class:`GroupConsumer`.

    Attributes
    ----------
    channel
        Channel whose stream is consumed.
    group
        Consumer group name (one per application, e.g. ``"backend-recorder"``).
    consumer
        This consumer's name within the group (unique per process).
    batch_size
        Most entries read per cycle.
    block_ms
        Longest wait for new entries per cycle.
    claim_idle_ms
        Pending entries idle this long are taken over from their consumer.
    claim_interval_s
        How often to look for such entries (and to refresh the lag counter).
    handler_retry_delay_s
        Wait before handing failed entries to the handler again.
    max_handler_failures
        Handler failures after which an entry is dead-lettered (None: retry forever).
    backoff
        Reconnect delays.
    """

    channel: str
    group: str
    consumer: str
    batch_size: int = 100
    block_ms: int = 1000
    claim_idle_ms: int = 30_000
    claim_interval_s: float = 5.0
    handler_retry_delay_s: float = 1.0
    max_handler_failures: int | None = None
    backoff: BackoffConfig = field(default_factory=BackoffConfig)

    def __post_init__(self) -> None:
        require_channel(self.channel)
        if not self.group or not self.consumer:
            raise ValueError("group and consumer must not be empty")
        if self.batch_size < 1 or self.block_ms < 0 or self.claim_idle_ms < 0:
            raise ValueError("batch_size must be >= 1, block_ms and claim_idle_ms >= 0")
        if self.claim_interval_s < 0 or self.handler_retry_delay_s < 0:
            raise ValueError("claim_interval_s and handler_retry_delay_s must be >= 0")
        if self.max_handler_failures is not None and self.max_handler_failures < 1:
            raise ValueError("max_handler_failures must be >= 1 or None")


@dataclass
class ConsumerStats:
    """Counters of a :class:`GroupConsumer`, for metrics.

    Attributes
    ----------
    processed
        Entries handled and acknowledged.
    dead_lettered
        Entries sent to the dead-letter stream (malformed, or failing the handler).
    reclaimed
        Entries taken over from idle consumers.
    handler_failures
        Handler calls that raised.
    reconnects
        Connection losses recovered from.
    lag
        Entries of the stream the group has not read yet (None: unknown).
    """

    processed: int = 0
    dead_lettered: int = 0
    reclaimed: int = 0
    handler_failures: int = 0
    reconnects: int = 0
    lag: int | None = None


@dataclass(frozen=True, slots=True)
class _Delivery:
    entry_id: str
    message: Message
    payload: bytes


class GroupConsumer:
    """Reads a channel's stream in a consumer group and hands messages to a handler.

    Give exactly one of ``handler`` (called per message) or ``batch_handler``
    (called once per batch; a failure leaves the whole batch pending).

    Parameters
    ----------
    bus
        The transport.
    config
        Channel, group, consumer name and timing.
    handler
        Called with each valid message.
    batch_handler
        Called with each batch of valid messages.
    clock
        Monotonic seconds, for the claim interval.
    """

    def __init__(
        self,
        bus: Bus,
        config: GroupConsumerConfig,
        *,
        handler: MessageHandler | None = None,
        batch_handler: BatchHandler | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (handler is None) == (batch_handler is None):
            raise ValueError("give exactly one of handler or batch_handler")
        self._bus = bus
        self.config = config
        self._handler = handler
        self._batch_handler = batch_handler
        self._clock = clock
        self._stats = ConsumerStats()
        self._stats_lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._group_ready = False
        self._retry_at: float | None = 0.0  # read own pending entries first
        self._next_claim = 0.0
        self._next_lag = 0.0
        self._claim_cursor = "0-0"
        self.stop_event = threading.Event()

    @property
    def stats(self) -> ConsumerStats:
        """A copy of the counters."""
        with self._stats_lock:
            return replace(self._stats)

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current cycle."""
        self.stop_event.set()

    def run_forever(self, stop_event: threading.Event | None = None) -> None:
        """Run cycles until ``stop_event`` (or :attr:`stop_event`) is set; survive lost connections."""
        stop = stop_event or self.stop_event
        backoff = Backoff(self.config.backoff)
        lost = False
        while not stop.is_set() and not self.stop_event.is_set():
            try:
                self.run_once()
            except TransportConnectionError as error:
                _log.warning("signal bus consumer lost its connection: %s", error)
                lost = True
                self._group_ready = False
                # Entries read before the loss may be unacknowledged: read them again first.
                self._retry_at = 0.0
                stop.wait(backoff.next_delay())
                continue
            except Exception:
                _log.exception("signal bus consumer cycle failed")
                self._group_ready = False
                stop.wait(backoff.next_delay())
                continue
            if lost:
                lost = False
                self._count(reconnects=1)
            backoff.reset()

    def run_once(self) -> int:
        """Run one cycle; return how many entries were processed or dead-lettered.

        Raises
        ------
        TransportConnectionError
            The connection was lost (nothing was acknowledged that was not handled).
        """
        channel, group = self.config.channel, self.config.group
        if not self._group_ready:
            self._bus.ensure_group(channel, group)
            self._group_ready = True
        try:
            return self._cycle()
        except KeyError:
            # The group vanished (Redis restarted without its data): create it again.
            self._group_ready = False
            self._retry_at = 0.0
            return 0

    def _cycle(self) -> int:
        config = self.config
        entries: list[StreamEntry] = []
        if self._retry_at is not None and self._clock() >= self._retry_at:
            entries = self._bus.read_group(
                config.channel,
                config.group,
                config.consumer,
                count=config.batch_size,
                block_ms=0,
                pending=True,
            )
            if len(entries) < config.batch_size:
                self._retry_at = None
        if not entries and self._clock() >= self._next_claim:
            entries = self._claim()
        if not entries:
            entries = self._bus.read_group(
                config.channel,
                config.group,
                config.consumer,
                count=config.batch_size,
                block_ms=config.block_ms,
                pending=False,
            )
        handled = self._process(entries) if entries else 0
        if self._clock() >= self._next_lag:
            lag = self._bus.group_lag(config.channel, config.group)
            with self._stats_lock:
                self._stats.lag = lag
            self._next_lag = self._clock() + config.claim_interval_s
        return handled

    def _claim(self) -> list[StreamEntry]:
        config = self.config
        cursor, entries = self._bus.claim_idle(
            config.channel,
            config.group,
            config.consumer,
            min_idle_ms=config.claim_idle_ms,
            start=self._claim_cursor,
            count=config.batch_size,
        )
        self._claim_cursor = cursor
        if cursor == "0-0":
            self._next_claim = self._clock() + config.claim_interval_s
        if entries:
            self._count(reclaimed=len(entries))
        return entries

    def _process(self, entries: list[StreamEntry]) -> int:
        deliveries: list[_Delivery] = []
        settled: list[str] = []
        for entry in entries:
            try:
                if entry.payload is None:
                    raise MessageValidationError("payload", "stream entry has no payload")
                message = decode(entry.payload, self.config.channel)
                deliveries.append(_Delivery(entry.entry_id, message, entry.payload))
            except MessageValidationError as error:
                self._dead_letter(entry.entry_id, entry.payload or b"", error.field, error.reason)
                settled.append(entry.entry_id)
        # Dead letters are stored before their entries are acknowledged.
        if settled:
            self._bus.acknowledge(self.config.channel, self.config.group, settled)
        handled = self._handle(deliveries)
        for entry_id in handled:
            self._failures.pop(entry_id, None)
        if handled:
            self._bus.acknowledge(self.config.channel, self.config.group, handled)
            self._count(processed=len(handled))
        return len(settled) + len(handled)

    def _handle(self, deliveries: list[_Delivery]) -> list[str]:
        if not deliveries:
            return []
        if self._batch_handler is not None:
            try:
                self._batch_handler([delivery.message for delivery in deliveries])
            except TransportConnectionError:
                raise  # not the handler's fault: the entries stay pending for after the reconnect
            except Exception as error:
                self._handler_failed(deliveries, error)
                return []
            return [delivery.entry_id for delivery in deliveries]
        assert self._handler is not None
        handled = []
        for delivery in deliveries:
            try:
                self._handler(delivery.message)
            except TransportConnectionError:
                raise  # not the message's fault: it stays pending for after the reconnect
            except Exception as error:
                self._handler_failed([delivery], error)
                continue
            handled.append(delivery.entry_id)
        return handled

    def _handler_failed(self, deliveries: list[_Delivery], error: Exception) -> None:
        _log.warning("signal bus handler failed: %s: %s", type(error).__name__, error)
        self._count(handler_failures=1)
        # The entries stay pending and are handed over again after the retry delay.
        retry_at = self._clock() + self.config.handler_retry_delay_s
        if self._retry_at is None or self._retry_at < retry_at:
            self._retry_at = retry_at
        limit = self.config.max_handler_failures
        for delivery in deliveries:
            failures = self._failures.get(delivery.entry_id, 0) + 1
            self._failures[delivery.entry_id] = failures
            if limit is not None and failures >= limit:
                reason = f"handler failed {failures} times: {type(error).__name__}: {error}"
                self._dead_letter(delivery.entry_id, delivery.payload, "handler", reason)
                self._bus.acknowledge(self.config.channel, self.config.group, [delivery.entry_id])
                del self._failures[delivery.entry_id]

    def _dead_letter(self, entry_id: str, payload: bytes, field_name: str, reason: str) -> None:
        self._bus.add_dead_letter(
            self.config.channel,
            {
                "reason": reason[:2000].encode(),
                "field": field_name.encode(),
                "payload": payload,
                "source_id": entry_id.encode(),
                "group": self.config.group.encode(),
                "consumer": self.config.consumer.encode(),
            },
        )
        self._count(dead_lettered=1)

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, amount in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + amount)
