"""The recorder's store and command: one latency sample per stored message, the defaults."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from backend.recorder.handlers import METRICS_COMPONENT, latencies_observe
from signal_bus.channels import RISK_UPDATES
from signal_bus.messages import RiskUpdate

NAME = "ats_publish_to_consume_latency_seconds"
LABELS = {"component": METRICS_COMPONENT, "channel": RISK_UPDATES}
CONSUMED = datetime(2025, 4, 5, 12, 0, 10, tzinfo=UTC)


def _sample(suffix: str, **extra: str) -> float:
    return REGISTRY.get_sample_value(NAME + suffix, {**LABELS, **extra}) or 0.0


def _update(seconds_before: float) -> RiskUpdate:
    return RiskUpdate.create(risk_factor=0.5, now=CONSUMED - timedelta(seconds=seconds_before))


def test_one_sample_per_message_with_its_own_latency() -> None:
    count, total = _sample("_count"), _sample("_sum")
    small, tenth = _sample("_bucket", le="0.0005"), _sample("_bucket", le="0.1")
    latencies_observe(
        channel=RISK_UPDATES,
        messages=[_update(0.05), _update(2.0), _update(-3.0)],  # the last one: clock skew
        consumed_at=CONSUMED,
    )
    assert _sample("_count") == count + 3
    assert _sample("_sum") == pytest.approx(total + 2.05)
    assert _sample("_bucket", le="0.0005") == small + 1  # skew counts as 0
    assert _sample("_bucket", le="0.1") == tenth + 2


def test_empty_batch_observes_nothing_and_naive_time_is_refused() -> None:
    count = _sample("_count")
    latencies_observe(channel=RISK_UPDATES, messages=[], consumed_at=CONSUMED)
    assert _sample("_count") == count
    with pytest.raises(ValueError, match="timezone-aware"):
        latencies_observe(
            channel=RISK_UPDATES, messages=[_update(1.0)], consumed_at=CONSUMED.replace(tzinfo=None)
        )
    assert _sample("_count") == count


def test_record_streams_defaults_are_the_recorder_configuration() -> None:
    from dataclasses import fields

    from backend.recorder.management.commands.record_streams import Command
    from engines.recorder.runner import RecorderConfig

    options = vars(Command().create_parser("manage.py", "record_streams").parse_args([]))
    defaults = {spec.name: spec.default for spec in fields(RecorderConfig)}
    for name in ("batch_size", "block_ms", "claim_idle_ms", "workers_per_channel"):
        assert options[name] == defaults[name], name


def test_forecasts_get_two_consumers_on_postgresql() -> None:
    from backend.recorder.management.commands.record_streams import forecast_workers_resolve

    assert forecast_workers_resolve(requested=None, vendor="postgresql") == 2
    assert forecast_workers_resolve(requested=None, vendor="sqlite") is None
    assert forecast_workers_resolve(requested=3, vendor="sqlite") == 3
