"""Consumer-group counters into Prometheus: one reporter for every engine that consumes the bus.

A :class:`~signal_bus.group_consumer.GroupConsumer` keeps running totals (messages processed,
dead-lettered) and the group's lag. :class:`ConsumerMetricsReporter` adds what each consumer
processed and dead-lettered since its previous report to the counters of
:mod:`engines.observability.metrics` and sets the lag gauge, so a component calls
:meth:`~ConsumerMetricsReporter.report` on its timer, as often as it likes.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from engines.observability.metrics import (
    consumer_lag_set,
    dead_letters_add,
    messages_processed_add,
)
from signal_bus.group_consumer import ConsumerStats


class _ChannelConfig(Protocol):
    @property
    def channel(self) -> str: ...


class ReportedConsumer(Protocol):
    """What the reporter reads of a consumer: its channel and its counters."""

    @property
    def config(self) -> _ChannelConfig: ...

    @property
    def stats(self) -> ConsumerStats: ...


class ConsumerMetricsReporter:
    """Copy consumers' counters into the consumer metrics of one component and group.

    Parameters
    ----------
    component
        The ``component`` label (``"recorder"``, ``"risk-engine"``).
    group
        The consumer group, the ``group`` label of the lag gauge.
    consumers
        The consumers reported (several may read the same channel).
    count_processed
        Whether to add the consumers' processed counts to ``ats_messages_processed``; False
        for a component that counts each message as its handler finishes it.
    """

    def __init__(
        self,
        *,
        component: str,
        group: str,
        consumers: Sequence[ReportedConsumer],
        count_processed: bool = True,
    ) -> None:
        self.component = component
        self.group = group
        self.count_processed = count_processed
        self._consumers = list(consumers)
        self._reported = [(0, 0) for _ in self._consumers]
        self._lock = threading.Lock()

    def report(self) -> None:
        """Add what was processed and dead-lettered since the last report; set the lag."""
        with self._lock:
            for index, consumer in enumerate(self._consumers):
                stats, channel = consumer.stats, consumer.config.channel
                processed, dead = self._reported[index]
                if self.count_processed and stats.processed > processed:
                    messages_processed_add(
                        component=self.component,
                        channel=channel,
                        count=stats.processed - processed,
                    )
                if stats.dead_lettered > dead:
                    dead_letters_add(
                        component=self.component,
                        channel=channel,
                        count=stats.dead_lettered - dead,
                    )
                self._reported[index] = (stats.processed, stats.dead_lettered)
                if stats.lag is not None:
                    consumer_lag_set(
                        component=self.component,
                        channel=channel,
                        group=self.group,
                        lag=stats.lag,
                    )


__all__ = ["ConsumerMetricsReporter", "ReportedConsumer"]
