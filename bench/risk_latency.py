"""Forecast arrival -> ``risk_updates`` published, next to raw Redis pub/sub delivery.

The engine runs as its own process (``ats risk run``) on a fresh namespace. This
process publishes a forecast with ``RedisBus.publish`` and waits on a pub/sub
subscription to ``risk_updates``; latency is from just before publishing to just
after the risk update is received, so it covers the stream read, decoding,
evaluation, publishing and delivery. Samples are taken one at a time.

Two raw baselines run against the same server in the same run, with pre-encoded
payloads and plain redis-py:

* ``raw_pubsub``: ``PUBLISH`` -> receipt by a subscriber (one hop);
* ``raw_relay``: ``PUBLISH`` -> a relay process that ``PUBLISH``es every message it
  receives on a second channel -> receipt here: the same two hops the engine path has
  (forecast in, risk update out) with nothing done in between.

The issue's goal (p99 within 2x of raw delivery) is reported against both; the relay
is the like-for-like one, the single hop is the strict one.

Usage::

    python bench/risk_latency.py [--samples 300] [--json]

Redis comes from REDIS_URL (default redis://127.0.0.1:6379/0); the namespace is
deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import numpy as np
import redis

from signal_bus.channels import RISK_UPDATES
from signal_bus.messages import ForecastUpdate
from signal_bus.redis_bus import RedisBus

WARMUP = 20
TIMEOUT_S = 5.0


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples) * 1000.0
    return {
        "p50_ms": float(np.percentile(values, 50)),
        "p99_ms": float(np.percentile(values, 99)),
        "mean_ms": float(values.mean()),
        "samples": float(len(values)),
    }


def _wait_message(pubsub: Any, timeout: float = TIMEOUT_S) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if pubsub.get_message(timeout=0.5) is not None:
            return True
    return False


def _drain(pubsub: Any) -> None:
    while pubsub.get_message(timeout=0.0) is not None:
        pass


def measure_raw(client: Any, channel: str, samples: int) -> list[float]:
    """Time PUBLISH -> pub/sub receipt of a pre-encoded forecast."""
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    _wait_message(pubsub, 0.2)
    payload = b'{"type":"forecast_update","asset":"BTCUSD","horizon":"4h","prediction":0.0082}'
    latencies = []
    for index in range(samples + WARMUP):
        _drain(pubsub)
        started = time.perf_counter()
        client.publish(channel, payload)
        if not _wait_message(pubsub):
            raise RuntimeError("raw pub/sub message not received")
        if index >= WARMUP:
            latencies.append(time.perf_counter() - started)
    pubsub.close()
    return latencies


def measure_relay(client: Any, inbound: str, outbound: str, samples: int) -> list[float]:
    """Time PUBLISH -> relay process -> PUBLISH -> receipt here."""
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(outbound)
    _wait_message(pubsub, 0.2)
    payload = b'{"type":"forecast_update","asset":"BTCUSD","horizon":"4h","prediction":0.0082}'
    latencies = []
    for index in range(samples + WARMUP):
        _drain(pubsub)
        started = time.perf_counter()
        client.publish(inbound, payload)
        if not _wait_message(pubsub):
            raise RuntimeError("relayed message not received; is the relay running?")
        if index >= WARMUP:
            latencies.append(time.perf_counter() - started)
    pubsub.close()
    return latencies


def relay(url: str, inbound: str, outbound: str) -> None:
    """Re-publish every message of ``inbound`` on ``outbound`` until killed (a raw hop)."""
    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(inbound)
    client.set(f"{inbound}:ready", b"1")
    for message in pubsub.listen():
        if message["type"] == "message":
            client.publish(outbound, message["data"])


def _start_relay(url: str, inbound: str, outbound: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, __file__, "--relay", inbound, outbound, "--redis-url", url]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure_engine(bus: RedisBus, client: Any, samples: int) -> list[float]:
    """Time a published forecast -> the risk update it causes."""
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(bus.names.pubsub(RISK_UPDATES))
    latencies = []
    for index in range(samples + WARMUP):
        _drain(pubsub)
        forecast = ForecastUpdate.create(
            asset=f"ASSET{index % 10}",
            horizon="4h",
            prediction=0.001 * (index % 7 - 3),
            confidence=0.5 + 0.04 * (index % 10),
            now=datetime.now(UTC),
        )
        started = time.perf_counter()
        bus.publish(forecast)
        if not _wait_message(pubsub):
            raise RuntimeError("no risk update after a forecast; is the engine running?")
        if index >= WARMUP:
            latencies.append(time.perf_counter() - started)
    pubsub.close()
    return latencies


def _start_engine(namespace: str, url: str) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-c",
        "from ats.cli.main import main; main()",
        "risk",
        "run",
        "--namespace",
        namespace,
        "--redis-url",
        url,
        "--tick-seconds",
        "3600",
        "--heartbeat-seconds",
        "3600",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--relay", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    url = arguments.redis_url
    if arguments.relay:
        relay(url, *arguments.relay)
        return
    namespace = f"bench-risk-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(url)
    bus = RedisBus(url=url, namespace=namespace)
    inbound, outbound = f"{namespace}:relay-in", f"{namespace}:relay-out"
    engine = _start_engine(namespace, url)
    relay_process = _start_relay(url, inbound, outbound)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            client.get(f"{namespace}:risk_engine:state") is None
            or client.get(f"{inbound}:ready") is None
        ):
            time.sleep(0.1)
        # The engine and the relay are up and idle before any measurement starts.
        raw = measure_raw(client, f"{namespace}:raw", arguments.samples)
        relayed = measure_relay(client, inbound, outbound, arguments.samples)
        through_engine = measure_engine(bus, client, arguments.samples)
    finally:
        for process in (engine, relay_process):
            process.terminate()
            process.wait(timeout=10)
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
        bus.close()
        client.close()
    raw_figures, relay_figures = _percentiles(raw), _percentiles(relayed)
    engine_figures = _percentiles(through_engine)
    ratio = engine_figures["p99_ms"] / raw_figures["p99_ms"]
    relay_ratio = engine_figures["p99_ms"] / relay_figures["p99_ms"]
    result = {
        "raw_pubsub": raw_figures,
        "raw_relay": relay_figures,
        "forecast_to_risk_update": engine_figures,
        "p99_ratio": ratio,
        "p99_ratio_to_relay": relay_ratio,
        "goal_p99_within_2x": ratio <= 2.0,
        "goal_p99_within_2x_of_relay": relay_ratio <= 2.0,
    }
    if arguments.json:
        print(json.dumps(result, indent=2))
        return
    for name, figures in (
        ("raw pub/sub (one hop)", raw_figures),
        ("raw relay (two hops)", relay_figures),
        ("forecast -> risk update", engine_figures),
    ):
        print(f"{name:26} p50 {figures['p50_ms']:7.3f} ms   p99 {figures['p99_ms']:7.3f} ms")
    for name, value in (("one hop", ratio), ("the relay", relay_ratio)):
        verdict = "met" if value <= 2.0 else "not met"
        print(f"p99 ratio to {name:9} {value:5.2f} (goal <= 2: {verdict})")


if __name__ == "__main__":
    main()
