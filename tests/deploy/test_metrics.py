"""Shared engine metrics: update functions, validation, the HTTP server and the multiprocess exporter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from engines.observability import metrics
from engines.observability.exporter import MetricsExporterConfig
from tests.support.redis_server import free_port

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]


def unique_component() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def sample(name: str, labels: dict[str, str] | None = None) -> float | None:
    return REGISTRY.get_sample_value(name, labels or {})


def test_counters_add_per_component_and_channel() -> None:
    component = unique_component()
    metrics.messages_processed_add(component=component, channel="forecast_updates", count=3)
    metrics.messages_processed_add(component=component, channel="forecast_updates")
    metrics.dead_letters_add(component=component, channel="risk_updates", count=2)
    labels = {"component": component, "channel": "forecast_updates"}
    assert sample("ats_messages_processed_total", labels) == 4.0
    assert sample("ats_dead_letters_total", {**labels, "channel": "risk_updates"}) == 2.0
    assert sample("ats_dead_letters_total", labels) is None


def test_latency_is_measured_between_the_given_times_and_skew_counts_as_zero() -> None:
    component = unique_component()
    published = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    seconds = metrics.publish_to_consume_latency_observe(
        component=component,
        channel="risk_updates",
        published_at=published,
        consumed_at=published + timedelta(milliseconds=40),
    )
    skewed = metrics.publish_to_consume_latency_observe(
        component=component,
        channel="risk_updates",
        published_at=published,
        consumed_at=published - timedelta(seconds=1),
    )
    assert seconds == pytest.approx(0.04)
    assert skewed == 0.0
    labels = {"component": component, "channel": "risk_updates"}
    assert sample("ats_publish_to_consume_latency_seconds_count", labels) == 2.0
    assert sample("ats_publish_to_consume_latency_seconds_bucket", {**labels, "le": "0.025"}) == 1.0
    assert sample("ats_publish_to_consume_latency_seconds_bucket", {**labels, "le": "0.05"}) == 2.0


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        metrics.publish_to_consume_latency_observe(
            component=unique_component(),
            channel="risk_updates",
            published_at=datetime(2026, 1, 5, 12, 0),
            consumed_at=datetime(2026, 1, 5, 12, 0, tzinfo=UTC),
        )


def test_forecast_cycle_records_duration_assets_and_finish_time() -> None:
    horizon = f"h-{uuid.uuid4().hex[:6]}"
    finished = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    metrics.forecast_cycle_observe(
        horizon=horizon, duration_seconds=12.5, asset_count=40, finished_at=finished
    )
    assert sample("ats_forecast_cycle_seconds_sum", {"horizon": horizon}) == 12.5
    assert sample("ats_forecast_cycle_assets", {"horizon": horizon}) == 40.0
    assert sample("ats_forecast_last_cycle_timestamp_seconds", {"horizon": horizon}) == (
        finished.timestamp()
    )
    with pytest.raises(ValueError, match="duration_seconds"):
        metrics.forecast_cycle_observe(
            horizon=horizon, duration_seconds=-1.0, asset_count=1, finished_at=finished
        )


def test_risk_state_is_one_hot_and_bad_decisions_change_nothing() -> None:
    metrics.risk_decision_record(risk_factor=0.4, state="reducing")
    assert sample("ats_risk_factor") == 0.4
    states = {state: sample("ats_risk_state", {"state": state}) for state in metrics.RISK_STATES}
    assert states == {"active": 0.0, "reducing": 1.0, "halted": 0.0}

    with pytest.raises(ValueError, match="unknown risk state"):
        metrics.risk_decision_record(risk_factor=0.9, state="paused")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.risk_decision_record(risk_factor=1.5, state="active")
    assert sample("ats_risk_factor") == 0.4
    assert sample("ats_risk_state", {"state": "reducing"}) == 1.0


def test_counts_and_labels_are_validated() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        metrics.messages_processed_add(component="x", channel="forecast_updates", count=-1)
    with pytest.raises(ValueError, match="component"):
        metrics.dead_letters_add(component=" ", channel="forecast_updates")
    with pytest.raises(ValueError, match="non-negative"):
        metrics.consumer_lag_set(component="x", channel="forecast_updates", group="g", lag=-3)


def test_metric_names_list_exactly_what_is_exposed() -> None:
    component = unique_component()
    metrics.consumer_lag_set(component=component, channel="execution_events", group="g", lag=7)
    metrics.messages_processed_add(component=component, channel="execution_events")
    metrics.dead_letters_add(component=component, channel="execution_events")
    metrics.publish_to_consume_latency_observe(
        component=component,
        channel="execution_events",
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        consumed_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    metrics.forecast_cycle_observe(
        horizon="1d", duration_seconds=1.0, asset_count=1, finished_at=datetime.now(UTC)
    )
    metrics.risk_decision_record(risk_factor=1.0, state="active")
    body, content_type = metrics.metrics_payload()
    assert content_type.startswith("text/plain")
    exposed = {
        sample.name
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name.startswith(metrics.METRIC_PREFIX)
    }
    assert exposed - {name for name in exposed if name.endswith("_created")} == metrics.METRIC_NAMES


def test_start_metrics_server_serves_the_registry() -> None:
    component = unique_component()
    metrics.messages_processed_add(component=component, channel="strategy_config", count=5)
    port = metrics.start_metrics_server(0, "127.0.0.1")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    expected = (
        f'ats_messages_processed_total{{channel="strategy_config",component="{component}"}} 5.0'
    )
    assert expected in text


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "METRICS_EXPORTER_PORT is not set"),
        ({"METRICS_EXPORTER_PORT": "nine"}, "must be an integer"),
        ({"METRICS_EXPORTER_PORT": "70000"}, "1..65535"),
    ],
)
def test_exporter_config_rejects_bad_ports(environment: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MetricsExporterConfig.from_environment(environment)


def test_exporter_config_reads_the_environment() -> None:
    config = MetricsExporterConfig.from_environment(
        {"METRICS_EXPORTER_PORT": "9101", "METRICS_EXPORTER_ADDRESS": "127.0.0.1"}
    )
    assert config == MetricsExporterConfig(port=9101, address="127.0.0.1")


WRITER = """
import sys
from engines.observability import metrics
metrics.messages_processed_add(component="recorder", channel="forecast_updates", count=int(sys.argv[1]))
metrics.risk_decision_record(risk_factor=float(sys.argv[2]), state=sys.argv[3])
"""


def test_exporter_serves_every_process_in_multiprocess_mode(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    environment = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    for count, factor, state in (("3", "0.8", "active"), ("4", "0.25", "halted")):
        subprocess.run(
            [sys.executable, "-c", WRITER, count, factor, state],
            env=environment,
            cwd=REPOSITORY_ROOT,
            check=True,
            timeout=60,
        )
    port = free_port()
    exporter = subprocess.Popen(
        [sys.executable, "-m", "engines.observability.exporter", "--port", str(port)],
        env={**environment, "METRICS_EXPORTER_ADDRESS": "127.0.0.1"},
        cwd=REPOSITORY_ROOT,
    )
    try:
        text = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    text = r.read().decode()
                break
            except OSError:
                assert exporter.poll() is None, "the exporter exited early"
                time.sleep(0.1)
        values = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }
        processed_labels = (("channel", "forecast_updates"), ("component", "recorder"))
        assert values[("ats_messages_processed_total", processed_labels)] == 7.0
        assert values[("ats_risk_factor", ())] == 0.25
        assert values[("ats_risk_state", (("state", "halted"),))] == 1.0
        assert values[("ats_risk_state", (("state", "active"),))] == 0.0
    finally:
        exporter.send_signal(signal.SIGTERM)
        assert exporter.wait(timeout=10) == 0
