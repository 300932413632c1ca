"""Publish -> subscriber latency: raw redis-py PUBLISH versus signal_bus.

Both runs use a subscriber in a second process and the same Redis server. The raw
run sends pre-encoded JSON with ``PUBLISH`` and the subscriber only timestamps
what ``get_message`` returns. The bus run calls ``RedisBus.publish`` (encode, then
XADD + SET + PUBLISH in one pipeline) and the subscriber is a
``LatestValueSubscriber`` that decodes and validates every message before it is
timestamped. Latency is the difference of CLOCK_MONOTONIC readings (shared by
processes on one machine) between just before publishing and just after receipt. The
publisher sleeps ``--interval-ms`` between messages.

Usage::

    python bench/bus_latency.py [--count 2000] [--interval-ms 0.5] [--json]

Redis comes from REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD (default
127.0.0.1:6379). Keys live under a fresh namespace that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

from signal_bus.backoff import BackoffConfig
from signal_bus.channels import FORECAST_UPDATES
from signal_bus.codec import encode
from signal_bus.connection import RedisConnectionConfig
from signal_bus.messages import ForecastUpdate, Message
from signal_bus.redis_bus import RedisBus
from signal_bus.subscriber import LatestValueSubscriber, SubscriberConfig

POLL_TIMEOUT_S = 1.0
WARMUP = 200


def _now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _messages(count: int) -> list[ForecastUpdate]:
    base = ForecastUpdate.create(
        asset="BTCUSD",
        horizon="4h",
        prediction=0.0082,
        confidence=0.76,
        model="lightgbm",
        model_version="bench",
        now=datetime(2025, 4, 5, 12, tzinfo=UTC),
    )
    return [replace(base, id=f"bench-{index}") for index in range(count)]


# ---------------------------------------------------------------- subscriber processes


def _raw_subscriber(namespace: str, total: int, pipe: Connection) -> None:
    bus = RedisBus(namespace=namespace)
    pubsub = bus.pubsub_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(bus.names.pubsub(FORECAST_UPDATES))
    while pubsub.get_message(timeout=0.01) is not None:
        pass
    pipe.send("ready")
    received: list[int] = []
    while len(received) < total:
        message = pubsub.get_message(timeout=POLL_TIMEOUT_S)
        if message is not None:
            received.append(_now_ns())
    pipe.send(received)
    pubsub.close()


def _bus_subscriber(namespace: str, total: int, pipe: Connection) -> None:
    received: list[int] = []
    done = multiprocessing.Event()

    def record(message: Message) -> None:
        received.append(_now_ns())
        if len(received) >= total:
            done.set()

    config = SubscriberConfig(
        channels=(FORECAST_UPDATES,), poll_timeout_s=POLL_TIMEOUT_S, backoff=BackoffConfig()
    )
    bus = RedisBus(namespace=namespace)
    subscriber = LatestValueSubscriber(bus, config, on_message=record).start()
    if not subscriber.wait_until_connected(10.0):
        raise RuntimeError("subscriber did not connect")
    pipe.send("ready")
    done.wait(120.0)
    subscriber.stop()
    pipe.send(received)


# ---------------------------------------------------------------- publisher side

_SUBSCRIBERS: dict[str, Callable[[str, int, Connection], None]] = {
    "raw": _raw_subscriber,
    "bus": _bus_subscriber,
}


def _measure(count: int, interval_s: float, block: int) -> dict[str, list[float]]:
    """Run both subscribers at once and publish to them in alternating blocks.

    Alternating keeps both measurements under the same background load; only one
    subscriber receives at any moment. The default block is one message: a stall of
    the machine (a few milliseconds on a small host, delaying the next five to seven
    messages) then lands on both paths alike instead of on whichever one owns the
    current block, which with longer blocks decided the p99 of a run. Every message is
    then the first after a switch, so both paths are measured with cold caches.
    """
    total = WARMUP + count
    context = multiprocessing.get_context("spawn")
    runs: dict[str, dict[str, Any]] = {}
    try:
        for mode, subscriber in _SUBSCRIBERS.items():
            namespace = f"bench-{mode}-{uuid.uuid4().hex[:10]}"
            parent, child = context.Pipe()
            process = context.Process(
                target=subscriber, args=(namespace, total, child), daemon=True
            )
            process.start()
            runs[mode] = {
                "bus": RedisBus(namespace=namespace),
                "pipe": parent,
                "process": process,
                "sent": [],
            }
        for mode, run in runs.items():
            if not run["pipe"].poll(30.0) or run["pipe"].recv() != "ready":
                raise RuntimeError(f"{mode} subscriber did not start")
        messages = _messages(total)
        publishers = {mode: _publisher(mode, run["bus"], messages) for mode, run in runs.items()}
        for start in range(0, total, block):
            for mode, run in runs.items():
                publish = publishers[mode]
                sent = run["sent"]
                for message in messages[start : start + block]:
                    sent.append(_now_ns())
                    publish(message)
                    _pause(interval_s)
        latencies: dict[str, list[float]] = {}
        for mode, run in runs.items():
            if not run["pipe"].poll(120.0):
                raise RuntimeError(f"{mode} subscriber did not report")
            received: list[int] = run["pipe"].recv()
            if len(received) != total:
                raise RuntimeError(f"{mode}: sent {total}, received {len(received)}")
            pairs = zip(run["sent"][WARMUP:], received[WARMUP:], strict=True)
            latencies[mode] = [(r - s) / 1000.0 for s, r in pairs]
        return latencies
    finally:
        for run in runs.values():
            run["process"].join(10.0)
            if run["process"].is_alive():
                run["process"].kill()
            _cleanup(run["bus"])


def _publisher(
    mode: str, bus: RedisBus, messages: list[ForecastUpdate]
) -> Callable[[ForecastUpdate], None]:
    bus.client.ping()
    if mode == "bus":
        return bus.publish
    # Raw baseline: the same JSON, encoded beforehand, sent with a plain PUBLISH.
    client = bus.client
    channel = bus.names.pubsub(FORECAST_UPDATES)
    payloads = {message.id: encode(message) for message in messages}

    def publish_raw(message: ForecastUpdate) -> None:
        client.publish(channel, payloads[message.id])

    return publish_raw


def _pause(seconds: float) -> None:
    # Sleep rather than spin: on a small machine a spinning publisher takes a core away
    # from Redis and the subscriber and its own noise ends up in the tail being measured.
    time.sleep(seconds)


def _cleanup(bus: RedisBus) -> None:
    keys = list(bus.client.scan_iter(match=f"{bus.names.namespace}:*", count=1000))
    if keys:
        bus.client.delete(*keys)
    bus.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_us": round(_percentile(latencies, 0.50), 1),
        "p99_us": round(_percentile(latencies, 0.99), 1),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="measured messages per run")
    parser.add_argument("--interval-ms", type=float, default=0.5, help="pause between messages")
    parser.add_argument(
        "--block", type=int, default=1, help="messages per alternating block (default 1)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    if arguments.count < 1 or arguments.block < 1:
        parser.error("--count and --block must be >= 1")
    RedisConnectionConfig.from_environment(os.environ)  # fail early on bad settings
    interval = arguments.interval_ms / 1000.0
    latencies = _measure(arguments.count, interval, arguments.block)
    raw = _summary(latencies["raw"])
    through_bus = _summary(latencies["bus"])
    result: dict[str, Any] = {
        "raw": raw,
        "bus": through_bus,
        "ratio_p50": round(through_bus["p50_us"] / raw["p50_us"], 2),
        "ratio_p99": round(through_bus["p99_us"] / raw["p99_us"], 2),
    }
    if arguments.json:
        print(json.dumps(result))
    else:
        print(f"messages per run: {arguments.count} (after {WARMUP} warm-up)")
        print(
            f"raw redis-py PUBLISH -> subscriber   p50 {raw['p50_us']:8.1f} us   p99 {raw['p99_us']:8.1f} us"
        )
        print(
            f"signal_bus publish -> subscriber     p50 {through_bus['p50_us']:8.1f} us   "
            f"p99 {through_bus['p99_us']:8.1f} us"
        )
        print(
            f"ratio (bus / raw)                    p50 {result['ratio_p50']:8.2f}      p99 {result['ratio_p99']:8.2f}"
        )
        print("goal: p50 ratio <= 1.5, p99 ratio <= 2.0")
    return result


if __name__ == "__main__":
    main()
