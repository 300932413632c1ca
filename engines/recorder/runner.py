"""Run one consumer-group reader per channel, each in its own thread, until stopped.

What a batch becomes is the injected :class:`RecorderStore`'s business (the backend's is
``backend.recorder.handlers.DatabaseStore``): it gives each consumer its batch handler, and
a batch is acknowledged only once its handler returns. A reporting thread turns the
consumers' counters into the Prometheus metrics of :mod:`engines.observability.metrics`
(messages processed, dead letters, consumer lag) through
:class:`~engines.observability.consumers.ConsumerMetricsReporter` and deletes dead
consumers of the group; the store's batch handlers observe publish-to-consume latency.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import structlog

from engines.observability.consumers import ConsumerMetricsReporter
from engines.recorder.consumers import idle_consumers_delete
from signal_bus.bus import Bus
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.group_consumer import (
    BatchHandler,
    ConsumerStats,
    GroupConsumer,
    GroupConsumerConfig,
)

logger = structlog.get_logger(__name__)
# The ``component`` label of the recorder's metrics (the store's dead letters and latencies too).
METRICS_COMPONENT = "recorder"


class RecorderStore(Protocol):
    """Where the recorder's batches go (the backend: its database tables)."""

    def batch_handler_for(
        self, channel: str, *, bus: Bus, group: str, consumer: str
    ) -> BatchHandler:
        """A handler storing a batch of ``channel``; raising leaves the batch unacknowledged.

        ``consumer`` is the recorder's configured name (dead letters carry it).
        """

    def thread_finished(self) -> None:
        """Release what a consumer thread held (its database connection); called on its exit."""


@dataclass(frozen=True)
class RecorderConfig:
    """What the recorder reads and how.

    Attributes
    ----------
    channels
        Channels to record.
    group
        Consumer group (one per deployment of the recorder).
    consumer
        This process's consumer name (unique per process).
    batch_size
        Messages stored per transaction at most.
    block_ms
        Longest wait for new messages per cycle.
    claim_idle_ms
        Messages left pending this long by a dead recorder are taken over.
    retry_delay_s
        Wait before retrying a batch whose transaction failed.
    workers_per_channel
        Consumers (threads, each with its own database connection) per channel; with more
        than one, one thread's database round trips overlap another's decoding.
    forecast_workers
        Consumers of ``forecast_updates`` (the high-volume channel, whose store does not
        depend on the order of batches) when set; ``workers_per_channel`` otherwise.
    metrics_interval_s
        How often the consumers' counters are copied into the Prometheus metrics.
    consumer_delete_idle_ms
        Other consumers of the group idle this long with nothing pending (dead recorders
        whose messages were claimed) are deleted; None: never. Checked every
        ``consumer_cleanup_interval_s``.
    consumer_cleanup_interval_s
        How often to look for such consumers.
    """

    channels: tuple[str, ...]
    group: str
    consumer: str
    batch_size: int = 1000
    block_ms: int = 500
    claim_idle_ms: int = 30_000
    retry_delay_s: float = 0.5
    workers_per_channel: int = 1
    forecast_workers: int | None = None
    metrics_interval_s: float = 1.0
    consumer_delete_idle_ms: int | None = 3_600_000
    consumer_cleanup_interval_s: float = 60.0

    def __post_init__(self) -> None:
        if self.metrics_interval_s <= 0:
            raise ValueError("metrics_interval_s must be positive")
        if self.workers_per_channel < 1:
            raise ValueError("workers_per_channel must be at least 1")
        if self.forecast_workers is not None and self.forecast_workers < 1:
            raise ValueError("forecast_workers must be at least 1 (or None)")
        if not self.channels:
            raise ValueError("give at least one channel")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if self.consumer_delete_idle_ms is not None and self.consumer_delete_idle_ms < 0:
            raise ValueError("consumer_delete_idle_ms must be >= 0 (or None)")
        if self.consumer_cleanup_interval_s <= 0:
            raise ValueError("consumer_cleanup_interval_s must be positive")

    def workers_for(self, channel: str) -> int:
        """How many consumers read ``channel``."""
        if channel == FORECAST_UPDATES and self.forecast_workers is not None:
            return self.forecast_workers
        return self.workers_per_channel


class Recorder:
    """Consumer groups on every channel, storing batches and acknowledging after they are stored.

    Parameters
    ----------
    bus
        The signal bus (Redis, or in memory).
    config
        What to read and how.
    store
        Gives each consumer its batch handler (injected: the backend's database store).
    """

    def __init__(self, *, bus: Bus, config: RecorderConfig, store: RecorderStore) -> None:
        self.config = config
        self._bus = bus
        self._store = store
        self.stop_event = threading.Event()
        self.consumers = [
            GroupConsumer(
                bus,
                GroupConsumerConfig(
                    channel=channel,
                    group=config.group,
                    consumer=config.consumer
                    if config.workers_for(channel) == 1
                    else f"{config.consumer}-{worker}",
                    batch_size=config.batch_size,
                    block_ms=config.block_ms,
                    claim_idle_ms=config.claim_idle_ms,
                    claim_interval_s=min(5.0, config.claim_idle_ms / 1000),
                    handler_retry_delay_s=config.retry_delay_s,
                ),
                batch_handler=store.batch_handler_for(
                    channel, bus=bus, group=config.group, consumer=config.consumer
                ),
            )
            for channel in config.channels
            for worker in range(config.workers_for(channel))
        ]
        self._threads: list[threading.Thread] = []
        self._metrics = ConsumerMetricsReporter(
            component=METRICS_COMPONENT, group=config.group, consumers=self.consumers
        )

    def report_metrics(self) -> None:
        """Add the messages processed and dead-lettered since the last report; set the lag."""
        self._metrics.report()

    def consumer_names(self) -> set[str]:
        """This process's consumer names (never deleted by its own cleanup)."""
        return {consumer.config.consumer for consumer in self.consumers}

    def dead_consumers_delete(self) -> list[str]:
        """Delete other consumers idle ``consumer_delete_idle_ms`` with nothing pending."""
        if self.config.consumer_delete_idle_ms is None:
            return []
        deleted: list[str] = []
        for channel in self.config.channels:
            deleted += idle_consumers_delete(
                bus=self._bus,
                channel=channel,
                group=self.config.group,
                min_idle_ms=self.config.consumer_delete_idle_ms,
                keep=self.consumer_names(),
            )
        if deleted:
            logger.info("recorder_dead_consumers_deleted", consumers=sorted(set(deleted)))
        return deleted

    def _report_until_stopped(self) -> None:
        next_cleanup = 0.0
        while not self.stop_event.wait(self.config.metrics_interval_s):
            try:
                self.report_metrics()
            except Exception as error:  # noqa: BLE001 - metrics must never stop the recorder
                logger.warning("recorder_metrics_failed", error=str(error))
            if time.monotonic() >= next_cleanup:
                next_cleanup = time.monotonic() + self.config.consumer_cleanup_interval_s
                try:
                    self.dead_consumers_delete()
                except Exception as error:  # noqa: BLE001 - cleanup must never stop the recorder
                    logger.warning("recorder_consumer_cleanup_failed", error=str(error))

    def _run(self, consumer: GroupConsumer) -> None:
        try:
            consumer.run_forever(self.stop_event)
        finally:
            self._store.thread_finished()

    def start(self) -> None:
        """Start one thread per channel."""
        for consumer in self.consumers:
            thread = threading.Thread(
                target=self._run,
                args=(consumer,),
                name=f"recorder-{consumer.config.channel}-{consumer.config.consumer}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        reporter = threading.Thread(
            target=self._report_until_stopped, name="recorder-metrics", daemon=True
        )
        reporter.start()
        self._threads.append(reporter)
        logger.info(
            "recorder_started",
            channels=list(self.config.channels),
            group=self.config.group,
            consumer=self.config.consumer,
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Ask every thread to finish its current batch and wait for them."""
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)
        self.report_metrics()
        logger.info("recorder_stopped", stats=[vars(stats) for stats in self.stats()])

    def stats(self) -> Sequence[ConsumerStats]:
        """Counters per consumer (channels in the order of ``config.channels``, then workers)."""
        return [consumer.stats for consumer in self.consumers]

    def processed(self) -> int:
        """Messages stored and acknowledged by every consumer so far."""
        return sum(stats.processed for stats in self.stats())
