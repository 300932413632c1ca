"""Run one consumer-group reader per channel, each in its own thread, until stopped."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from django.db import connection

from signal_bus.bus import Bus
from signal_bus.group_consumer import ConsumerStats, GroupConsumer, GroupConsumerConfig

from .handlers import batch_handler_for

logger = structlog.get_logger(__name__)


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
    """

    channels: tuple[str, ...]
    group: str
    consumer: str
    batch_size: int = 1000
    block_ms: int = 500
    claim_idle_ms: int = 30_000
    retry_delay_s: float = 0.5
    workers_per_channel: int = 1

    def __post_init__(self) -> None:
        if self.workers_per_channel < 1:
            raise ValueError("workers_per_channel must be at least 1")
        if not self.channels:
            raise ValueError("give at least one channel")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")


class Recorder:
    """Consumer groups on every channel, writing batches and acknowledging after commit."""

    def __init__(self, *, bus: Bus, config: RecorderConfig) -> None:
        self.config = config
        self.stop_event = threading.Event()
        self.consumers = [
            GroupConsumer(
                bus,
                GroupConsumerConfig(
                    channel=channel,
                    group=config.group,
                    consumer=config.consumer
                    if config.workers_per_channel == 1
                    else f"{config.consumer}-{worker}",
                    batch_size=config.batch_size,
                    block_ms=config.block_ms,
                    claim_idle_ms=config.claim_idle_ms,
                    claim_interval_s=min(5.0, config.claim_idle_ms / 1000),
                    handler_retry_delay_s=config.retry_delay_s,
                ),
                batch_handler=batch_handler_for(
                    channel, bus=bus, group=config.group, consumer=config.consumer
                ),
            )
            for channel in config.channels
            for worker in range(config.workers_per_channel)
        ]
        self._threads: list[threading.Thread] = []

    def _run(self, consumer: GroupConsumer) -> None:
        try:
            consumer.run_forever(self.stop_event)
        finally:
            connection.close()

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
        logger.info("recorder_stopped", stats=[vars(stats) for stats in self.stats()])

    def stats(self) -> Sequence[ConsumerStats]:
        """Counters per consumer (channels in the order of ``config.channels``, then workers)."""
        return [consumer.stats for consumer in self.consumers]

    def processed(self) -> int:
        """Messages stored and acknowledged by every consumer so far."""
        return sum(stats.processed for stats in self.stats())
