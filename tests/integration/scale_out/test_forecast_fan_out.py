"""A forecast cycle fanned out as Celery tasks on a real worker (prefork) and a private Redis."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from celery import Celery

from engines.forecast.engine import ForecastEngine, config_from_environment
from engines.forecast.fanout import stable_message_id
from signal_bus import FORECAST_UPDATES, ForecastUpdate, RedisBus
from signal_bus.codec import decode
from tests.integration.scale_out.cluster import (
    Worker,
    engine_environment,
    worker_database,
    write_synthetic_daily,
)
from tests.support.redis_namespace import unique_namespace
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.slow]

ASSETS = [f"SYN{index:02d}" for index in range(8)]
BARS = 400
NOW = dt.datetime(2012, 7, 17, 12, 0, tzinfo=dt.UTC)
GROUP_SIZE = 3


@dataclass
class Cluster:
    server: RedisServer
    environment: dict[str, str]
    namespace: str
    worker: Worker
    client: redis.Redis
    sender: Celery

    def start_cycle(self) -> None:
        self.sender.send_task(
            "engines.forecast_fanout",
            args=["1d"],
            kwargs={"group_size": GROUP_SIZE, "now": NOW.isoformat()},
        )

    def summaries(self) -> dict[str, dict[str, object]]:
        found = {}
        for key in self.client.scan_iter(match=f"{self.namespace}:forecast_fanout:*:summary"):
            document = json.loads(self.client.get(key) or b"{}")
            found[str(document["cycle_id"])] = document
        return found

    def wait_summary(self, known: set[str], timeout: float = 120.0) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fresh = {key: value for key, value in self.summaries().items() if key not in known}
            if fresh:
                (summary,) = fresh.values()
                return summary
            time.sleep(0.1)
        raise TimeoutError(self.worker.log.read_text(errors="replace")[-4000:])

    def published(self) -> list[ForecastUpdate]:
        with RedisBus(url=self.server.url, namespace=self.namespace) as bus:
            entries = bus.read_stream(FORECAST_UPDATES, after="0", count=10_000, block_ms=None)
        messages = [decode(entry.payload) for entry in entries if entry.payload is not None]
        return [message for message in messages if isinstance(message, ForecastUpdate)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("fan-out")
    write_synthetic_daily(folder / "data", ASSETS, BARS, seed=3)
    with RedisServer() as server:
        namespace = unique_namespace("fan-out")
        environment = engine_environment(
            data_folder=folder / "data",
            registry=folder / "models",
            assets=ASSETS,
            redis_url=server.url,
            namespace=namespace,
        )
        environment.update(worker_database(folder))
        worker = Worker(environment, "fan-out-1", folder / "worker.log")
        client = redis.Redis.from_url(server.url)
        sender = Celery("fan-out-test", broker=server.url)
        try:
            worker.wait_ready()
            yield Cluster(server, environment, namespace, worker, client, sender)
        finally:
            worker.stop()
            client.close()
            sender.close()


def _cycle_messages(cluster: Cluster, cycle_id: str) -> list[ForecastUpdate]:
    return [
        message
        for message in cluster.published()
        if message.id == stable_message_id(cycle_id, message.key)
    ]


def test_every_asset_forecast_once_and_as_in_one_process(cluster: Cluster) -> None:
    cluster.start_cycle()
    summary = cluster.wait_summary(set())
    assert summary["group_count"] == 3
    assert summary["forecast_count"] == len(ASSETS)
    assert summary["missing"] == []
    assert float(str(summary["duration_seconds"])) > 0

    messages = _cycle_messages(cluster, str(summary["cycle_id"]))
    counts = Counter(message.key for message in messages)
    assert counts == Counter(f"{asset}:1d" for asset in ASSETS)

    single = ForecastEngine(config_from_environment("1d", cluster.environment), None).run_cycle(NOW)
    assert single.versions_trained == 0, "the fan-out saved this period's version in the registry"
    expected = {update.key: update for update in single.forecasts}
    assert set(expected) == set(counts)
    for message in messages:
        reference = expected[message.key]
        assert message.model_version == reference.model_version == summary["version"]
        assert message.ts_event == reference.ts_event
        assert message.prediction == pytest.approx(reference.prediction, rel=1e-6, abs=1e-9)
        assert message.confidence == pytest.approx(reference.confidence, rel=1e-6, abs=1e-9)


def _new_cycle_attempts_key(cluster: Cluster, known: set[str]) -> bytes | None:
    for key in cluster.client.scan_iter(match=f"{cluster.namespace}:forecast_fanout:*:attempts"):
        if key.decode().split(":")[-2] not in known:
            return bytes(key)
    return None


def _kill_the_worker_mid_group(cluster: Cluster, known: set[str]) -> tuple[bytes, int]:
    """Freeze the pool's child while a group runs, then kill it; return the group's index.

    A child frozen between groups is let go and caught at the next group.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        attempts_key = _new_cycle_attempts_key(cluster, known)
        if attempts_key is None:
            time.sleep(0.002)
            continue
        (child,) = cluster.worker.pool_children()
        os.kill(child, signal.SIGSTOP)
        started = {int(group) for group in cluster.client.hkeys(attempts_key)}
        groups_key = attempts_key.replace(b":attempts", b":groups")
        finished = {int(group) for group in cluster.client.hkeys(groups_key)}
        running = started - finished
        if running:
            os.kill(child, signal.SIGKILL)
            (group,) = running
            return attempts_key, group
        os.kill(child, signal.SIGCONT)
        time.sleep(0.002)
    raise TimeoutError("no group was caught running")


def test_a_group_whose_worker_dies_is_retried_and_publishes_once(cluster: Cluster) -> None:
    known = set(cluster.summaries())
    cluster.start_cycle()
    attempts_key, killed = _kill_the_worker_mid_group(cluster, known)

    summary = cluster.wait_summary(known)
    cycle_id = str(summary["cycle_id"])
    attempts = {
        int(group): int(count) for group, count in cluster.client.hgetall(attempts_key).items()
    }
    assert attempts == {group: 2 if group == killed else 1 for group in range(3)}
    assert summary["forecast_count"] == len(ASSETS)
    assert summary["missing"] == []
    counts = Counter(message.key for message in _cycle_messages(cluster, cycle_id))
    assert counts == Counter(f"{asset}:1d" for asset in ASSETS)
