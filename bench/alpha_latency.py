"""Forecast published -> insight emitted by ``ForecastAlphaModel.update()``, next to raw pub/sub.

Both runs happen in one process against the same Redis server, as inside LEAN: a
background thread receives, the "algorithm thread" observes.

* raw: a redis-py ``PUBLISH`` of the encoded forecast; a thread blocked in
  ``get_message`` timestamps its arrival.
* alpha: ``RedisBus.publish`` (stream + last value + pub/sub) of the forecast; the
  ``LatestValueSubscriber`` thread decodes, validates and offers it to the signal
  inbox; the algorithm thread calls ``ForecastAlphaModel.update()`` on the LEAN
  model in a loop and timestamps the call that returns the insight tagged with the
  forecast's id. It polls every 50 us (one data slice), releasing the GIL in between
  as LEAN's engine thread does. The same run also reports ``bus_delivery``: publish ->
  the forecast reaching the inbox, so the alpha model's own share can be read off.

Latency is CLOCK_MONOTONIC from just before publishing to receipt / emission.

Usage::

    python bench/alpha_latency.py [--count 500] [--interval-ms 2] [--json]

Redis comes from REDIS_URL (default redis://127.0.0.1:6379/0); keys live under a
fresh namespace deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.lean.lean_model import install as lean_model  # noqa: E402 - the LEAN model stands in for LEAN

lean_model.install()

import redis  # noqa: E402

from alpha_models.lean.forecast_alpha import ForecastAlphaModel  # noqa: E402
from alpha_models.lean.forecast_sources import InboxForecastSource  # noqa: E402
from risk_models.settings import StrategySettings  # noqa: E402
from signal_bus.channels import FORECAST_UPDATES  # noqa: E402
from signal_bus.codec import encode  # noqa: E402
from signal_bus.lean.redis_listener import start_redis_signal_feed  # noqa: E402
from signal_bus.lean.signal_inbox import SignalInbox  # noqa: E402
from signal_bus.messages import ForecastUpdate  # noqa: E402
from signal_bus.redis_bus import RedisBus  # noqa: E402
from tests.lean.lean_model.algorithm_imports import QCAlgorithm, Slice  # noqa: E402

WARMUP = 20
# LEAN calls update() once per data slice; between calls the algorithm thread is busy in
# C# and does not hold the GIL. Polling every 50 us models a fast slice rate without
# starving the subscriber thread, as a Python busy loop would (GIL switch interval 5 ms).
POLL_INTERVAL_S = 0.00005
START = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)


def _now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _forecast(index: int) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="BTCUSD", horizon="4h", prediction=0.0082, confidence=0.76,
        model="lightgbm", model_version="bench", now=START + timedelta(milliseconds=index),
    )  # fmt: skip


def _percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] / 1000.0

    return {
        "p50_us": at(0.50),
        "p99_us": at(0.99),
        "max_us": ordered[-1] / 1000.0,
        "count": len(ordered),
    }


def run_raw(url: str, namespace: str, count: int, interval_s: float) -> list[int]:
    """Raw redis-py PUBLISH -> a subscriber thread's ``get_message``."""
    channel = f"{namespace}:{FORECAST_UPDATES}"
    publisher, listener = redis.Redis.from_url(url), redis.Redis.from_url(url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    while pubsub.get_message(timeout=0.05) is not None:
        pass
    received: list[int] = []
    done = threading.Event()

    def listen() -> None:
        while len(received) < count + WARMUP:
            if pubsub.get_message(timeout=1.0) is not None:
                received.append(_now_ns())
        done.set()

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    payloads = [encode(_forecast(index)) for index in range(count + WARMUP)]
    sent: list[int] = []
    for payload in payloads:
        sent.append(_now_ns())
        publisher.publish(channel, payload)
        time.sleep(interval_s)
    done.wait(10.0)
    pubsub.close()
    publisher.close()
    listener.close()
    return [r - s for s, r in zip(sent[WARMUP:], received[WARMUP:], strict=True)]


def run_alpha(
    url: str, namespace: str, count: int, interval_s: float
) -> tuple[list[int], list[int]]:
    """``RedisBus.publish`` -> subscriber thread -> inbox -> ``ForecastAlphaModel.update()``.

    Returns the publish -> insight latencies and, from the same messages, the
    publish -> inbox latencies (the bus's own delivery, before the alpha model).
    """
    inbox = SignalInbox()
    offered: dict[str, int] = {}
    offer = inbox.offer

    def timed_offer(message: Any) -> bool:
        offered[message.id] = _now_ns()
        return offer(message)

    inbox.offer = timed_offer  # type: ignore[method-assign]
    feed = start_redis_signal_feed(inbox, url, namespace, poll_timeout_s=1.0)
    if not feed.wait_until_connected(5.0):
        raise RuntimeError("the subscriber did not connect")
    algorithm = QCAlgorithm()
    algorithm.add_crypto("BTCUSD")
    algorithm._set_time(START.replace(tzinfo=None) + timedelta(minutes=1))
    alpha = ForecastAlphaModel(InboxForecastSource(inbox), StrategySettings())
    data = Slice(algorithm.time, [], algorithm.time)
    bus = RedisBus(url=url, namespace=namespace)
    latencies: list[int] = []
    delivered: list[int] = []
    try:
        for index in range(count + WARMUP):
            forecast = _forecast(index)
            started = _now_ns()
            bus.publish(forecast)
            deadline = started + 5_000_000_000
            while True:
                insights = alpha.update(algorithm, data)
                if any(insight.tag == forecast.id for insight in insights):
                    emitted = _now_ns()
                    break
                if _now_ns() > deadline:
                    raise RuntimeError(f"no insight for forecast {index} within 5 s")
                time.sleep(POLL_INTERVAL_S)
            if index >= WARMUP:
                latencies.append(emitted - started)
                delivered.append(offered[forecast.id] - started)
            time.sleep(interval_s)
    finally:
        feed.stop()
        bus.close()
    return latencies, delivered


def _delete_namespace(url: str, namespace: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--interval-ms", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    namespace = f"bench-alpha-{uuid.uuid4().hex[:10]}"
    interval = arguments.interval_ms / 1000.0
    try:
        raw = _percentiles(run_raw(url, namespace, arguments.count, interval))
        alpha_samples, bus_samples = run_alpha(url, namespace, arguments.count, interval)
        alpha, bus_delivery = _percentiles(alpha_samples), _percentiles(bus_samples)
        overhead = _percentiles([a - b for a, b in zip(alpha_samples, bus_samples, strict=True)])
    finally:
        _delete_namespace(url, namespace)
    figures: dict[str, Any] = {
        "raw_pubsub": raw,
        "bus_delivery": bus_delivery,
        "alpha_update": alpha,
        "alpha_model_share": overhead,
        "p99_ratio": round(alpha["p99_us"] / raw["p99_us"], 2),
        "goal_p99_ratio": 2.0,
    }
    figures["within_goal"] = figures["p99_ratio"] <= figures["goal_p99_ratio"]
    if arguments.json:
        print(json.dumps(figures))
    else:
        for name in ("raw_pubsub", "bus_delivery", "alpha_update"):
            row = figures[name]
            print(
                f"{name:13s} p50 {row['p50_us']:8.1f} us  p99 {row['p99_us']:8.1f} us  max {row['max_us']:8.1f} us"
            )
        share = figures["alpha_model_share"]
        print(
            f"alpha model's share (inbox -> insight): p50 {share['p50_us']:.1f} us, p99 {share['p99_us']:.1f} us"
        )
        print(f"p99 ratio {figures['p99_ratio']} (goal <= 2.0)")
    return figures


if __name__ == "__main__":
    main()
