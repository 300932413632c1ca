"""One consumer-metrics reporter for the recorder and the risk engine: deltas, lag, labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import REGISTRY

from engines.observability.consumers import ConsumerMetricsReporter
from signal_bus.group_consumer import ConsumerStats


@dataclass
class _Config:
    channel: str


@dataclass
class FakeConsumer:
    config: _Config
    stats: ConsumerStats = field(default_factory=ConsumerStats)


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_report_adds_what_happened_since_the_last_one_and_sets_the_lag() -> None:
    component, channel = "test-reporter-deltas", "forecast_updates"
    first, second = FakeConsumer(_Config(channel)), FakeConsumer(_Config(channel))
    reporter = ConsumerMetricsReporter(component=component, group="g", consumers=[first, second])
    reporter.report()  # nothing yet: no series move
    assert _value("ats_messages_processed_total", component=component, channel=channel) == 0
    first.stats.processed, first.stats.dead_lettered, first.stats.lag = 5, 1, 7
    second.stats.processed = 2
    reporter.report()
    reporter.report()  # the same counters again add nothing
    assert _value("ats_messages_processed_total", component=component, channel=channel) == 7
    assert _value("ats_dead_letters_total", component=component, channel=channel) == 1
    assert _value("ats_consumer_lag_messages", component=component, channel=channel, group="g") == 7
    first.stats.processed, first.stats.dead_lettered, first.stats.lag = 8, 3, 0
    reporter.report()
    assert _value("ats_messages_processed_total", component=component, channel=channel) == 10
    assert _value("ats_dead_letters_total", component=component, channel=channel) == 3
    assert _value("ats_consumer_lag_messages", component=component, channel=channel, group="g") == 0


def test_processed_counts_can_be_left_to_the_handler() -> None:
    component, channel = "test-reporter-handler-counts", "risk_updates"
    consumer = FakeConsumer(_Config(channel))
    reporter = ConsumerMetricsReporter(
        component=component, group="g", consumers=[consumer], count_processed=False
    )
    consumer.stats.processed, consumer.stats.dead_lettered = 4, 2
    reporter.report()
    assert _value("ats_messages_processed_total", component=component, channel=channel) == 0
    assert _value("ats_dead_letters_total", component=component, channel=channel) == 2
    # An unknown lag (no group read yet) leaves the gauge unset.
    assert (
        REGISTRY.get_sample_value(
            "ats_consumer_lag_messages", {"component": component, "channel": channel, "group": "g"}
        )
        is None
    )
