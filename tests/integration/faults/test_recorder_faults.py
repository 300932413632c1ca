"""The recorder under faults: killed mid-batch in a running system, and flooded with bad messages."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.execution.models import PortfolioSnapshot as SnapshotRow
from backend.forecasts.models import Forecast
from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES
from signal_bus.messages import ForecastUpdate, PortfolioSnapshot
from signal_bus.redis_bus import RedisBus
from tests.integration.faults.conftest import resident_memory_kib, wait_until
from tests.integration.faults.system import Run, drain, stored_counts, utc_now
from tests.support.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]

GROUP = "backend-recorder"
StartRecorder = Callable[..., subprocess.Popen[bytes]]


def test_recorder_killed_mid_batch_stores_every_message_once(
    redis_server: RedisServer, namespace: str, tmp_path: Path, start_recorder: StartRecorder
) -> None:
    first = start_recorder("recorder-first")
    run = Run(redis_server, namespace, tmp_path)
    probe = RedisBus(url=redis_server.url, namespace=namespace)
    try:
        run.risk_thread.start()
        run.run_for(1.0)
        assert wait_until(
            lambda: Forecast.objects.filter(message_id__in=run.forecast_ids).exists(), 20.0
        )

        # Bursts keep the recorder busy; freeze it (SIGSTOP) at a moment when a batch is read
        # but not acknowledged, so the kill is mid-batch for certain, then SIGKILL it.
        pending_at_kill = 0
        deadline = time.monotonic() + 30.0
        while pending_at_kill == 0 and time.monotonic() < deadline:
            run.publish_burst(500)
            burst_deadline = time.monotonic() + 2.0
            while time.monotonic() < burst_deadline:
                if probe.pending_count(FORECAST_UPDATES, GROUP) > 0:
                    first.send_signal(signal.SIGSTOP)
                    pending_at_kill = probe.pending_count(FORECAST_UPDATES, GROUP)
                    if pending_at_kill > 0:
                        break
                    first.send_signal(signal.SIGCONT)
                time.sleep(0.001)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        assert pending_at_kill > 0, "the recorder was never caught holding an unacknowledged batch"
        assert probe.pending_count(FORECAST_UPDATES, GROUP) == pending_at_kill

        run.run_for(1.0)  # the system keeps running without a recorder
        start_recorder("recorder-second")  # takes over the dead one's pending entries
        run.publish_burst(500)
        run.run_for(1.0)
        expected = drain(run)
        assert wait_until(lambda: stored_counts(run) == expected, 60.0, 0.2), (
            stored_counts(run),
            expected,
        )
        assert wait_until(lambda: probe.pending_count(FORECAST_UPDATES, GROUP) == 0, 20.0)
        assert Forecast.objects.count() == expected[0]
        assert SnapshotRow.objects.count() == expected[2]
    finally:
        run.close()
        probe.close()
    print(
        f"\nrecorder SIGKILL mid-batch ({pending_at_kill} entries pending): stored {expected} "
        "(forecasts, risk decisions, snapshots, fills), lost 0, duplicates 0"
    )


MALFORMED_KINDS = (
    b"not json at all",
    b'{"type": "forecast_update", "asset": 1}',
    b'{"type": "forecast_update", "schema_version": 1, "id": "x", "asset": "BTCUSD"}',
    b"[1, 2, 3]",
    b"",
)


def scrape(port: int) -> dict[str, float]:
    """The recorder's metrics, by series name with labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = re.match(r"^(ats_[a-z_]+(?:\{[^}]*\})?) (\S+)$", line)
        if match:
            values[match.group(1)] = float(match.group(2))
    return values


def counter(metrics: dict[str, float], name: str, channel: str) -> float:
    return metrics.get(f'{name}{{channel="{channel}",component="recorder"}}', 0.0)


def test_flood_of_malformed_messages(
    redis_server: RedisServer, namespace: str, start_recorder: StartRecorder
) -> None:
    metrics_port = free_port()
    recorder = start_recorder("recorder-flood", "--metrics-port", str(metrics_port))
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    client = bus.client
    try:
        now = utc_now()
        warmup = [
            ForecastUpdate.create(
                asset="WARM", horizon="1h", prediction=0.0, confidence=0.5, now=now
            )
            for _ in range(200)
        ]
        for message in warmup:
            bus.publish(message)
        assert wait_until(lambda: Forecast.objects.filter(asset="WARM").count() == 200, 30.0)
        memory_before = resident_memory_kib(recorder.pid)

        valid_ids: set[str] = set()
        snapshot_ids: set[str] = set()
        malformed = {FORECAST_UPDATES: 0, EXECUTION_EVENTS: 0}
        for index in range(12_000):
            if index % 6 == 5:  # one message in six is valid, alternating between the channels
                channel = FORECAST_UPDATES if (index // 6) % 2 == 0 else EXECUTION_EVENTS
                if channel == FORECAST_UPDATES:
                    message = ForecastUpdate.create(
                        asset="FLOOD", horizon="1h", prediction=0.001, confidence=0.6, now=now
                    )
                    valid_ids.add(message.id)
                else:
                    message = PortfolioSnapshot.create(equity=1000.0 + index, cash=10.0, now=now)
                    snapshot_ids.add(message.id)
                bus.publish(message)
            else:
                channel = FORECAST_UPDATES if index % 2 == 0 else EXECUTION_EVENTS
                bus.publish_payload(channel, "", MALFORMED_KINDS[index % len(MALFORMED_KINDS)])
                malformed[channel] += 1
        # 10,000 malformed among 12,000: 2,000 valid (every sixth message)
        assert sum(malformed.values()) == 10_000
        assert (len(valid_ids), len(snapshot_ids)) == (1_000, 1_000)

        def settled() -> bool:
            return (
                Forecast.objects.filter(message_id__in=valid_ids).count() == len(valid_ids)
                and SnapshotRow.objects.filter(message_id__in=snapshot_ids).count()
                == len(snapshot_ids)
                and all(
                    client.xlen(bus.names.dead(channel)) == count
                    for channel, count in malformed.items()
                )
            )

        assert wait_until(settled, 90.0, 0.2)
        assert wait_until(lambda: bus.pending_count(FORECAST_UPDATES, GROUP) == 0, 10.0)
        assert bus.pending_count(EXECUTION_EVENTS, GROUP) == 0
        memory_after = resident_memory_kib(recorder.pid)

        # Every dead letter names its reason and keeps the raw payload.
        letters = bus.dead_letters(FORECAST_UPDATES, count=10)
        assert len(letters) == 10
        assert all(letter.reason and letter.group == GROUP for letter in letters)
        assert {letter.payload for letter in letters} <= set(MALFORMED_KINDS)

        # The metrics agree once the reporter has run (every second).
        def metrics_settled() -> bool:
            metrics = scrape(metrics_port)
            lag = metrics.get(
                f'ats_consumer_lag_messages{{channel="{FORECAST_UPDATES}",component="recorder",'
                f'group="{GROUP}"}}'
            )
            return (
                lag == 0.0
                and all(
                    counter(metrics, "ats_dead_letters_total", channel) == count
                    for channel, count in malformed.items()
                )
                and counter(metrics, "ats_messages_processed_total", FORECAST_UPDATES)
                == 200 + len(valid_ids)
            )

        assert wait_until(metrics_settled, 10.0, 0.2), scrape(metrics_port)
        latency = scrape(metrics_port)
        assert latency[
            'ats_publish_to_consume_latency_seconds_count{channel="forecast_updates",component="recorder"}'
        ] == 200 + len(valid_ids)
    finally:
        bus.close()
    growth = memory_after - memory_before
    print(
        f"\nflood: 12000 sent, {len(valid_ids) + len(snapshot_ids)} valid stored, "
        f"{json.dumps(malformed)} dead-lettered, lost 0; recorder RSS {memory_before} KiB -> "
        f"{memory_after} KiB (+{growth} KiB)"
    )
    # Batches of 100 hold a few hundred KiB at most; 32 MiB leaves room for allocator and
    # driver caches while a leak of the 12,000 payloads (or their dead letters) would exceed it.
    assert growth < 32 * 1024


def test_dead_letter_streams_are_bounded(
    redis_server: RedisServer, namespace: str, start_recorder: StartRecorder
) -> None:
    start_recorder("recorder-bounded", "--stream-max-length", "1000")
    bus = RedisBus(url=redis_server.url, namespace=namespace)
    try:
        for index in range(3_000):
            bus.publish_payload(FORECAST_UPDATES, "", MALFORMED_KINDS[index % len(MALFORMED_KINDS)])
        assert wait_until(
            lambda: (
                bus.group_lag(FORECAST_UPDATES, GROUP) == 0
                and bus.pending_count(FORECAST_UPDATES, GROUP) == 0
            ),
            60.0,
            0.1,
        )
        length = bus.client.xlen(bus.names.dead(FORECAST_UPDATES))
        # MAXLEN ~ trims whole stream nodes (100 entries by default): between the bound and one node more.
        assert 1000 <= length < 1000 + 100
        newest = bus.dead_letters(FORECAST_UPDATES, count=1)[0]
        assert newest.payload == MALFORMED_KINDS[2_999 % len(MALFORMED_KINDS)]
    finally:
        bus.close()
