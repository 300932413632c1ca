"""Publish -> WebSocket client latency of the live-updates gateway, next to raw Redis pub/sub.

One run measures, on the same Redis server and machine:

- ``raw``: pre-encoded JSON sent with redis-py ``PUBLISH`` to a redis-py subscriber in a
  second process (the floor: one Redis hop);
- ``one_client``: ``RedisBus.publish`` (XADD + SET + PUBLISH) received by one WebSocket
  client of the gateway (``uvicorn backend.asgi:application`` in its own process), the
  client in a third process;
- ``hundred_clients``: the same with 100 connected clients (one asyncio process), each
  client's own p50/p99 reported; the worst client's p99 is the figure.

Latency is the difference of CLOCK_MONOTONIC readings (shared by the processes of one
machine) between just before publishing and just after a client got the frame. The
publisher sleeps ``--interval-ms`` between messages. The gateway authenticates against a
fresh SQLite database (migrated here) with a viewer's token.

Usage::

    python bench/gateway_latency.py [--count 1000] [--interval-ms 20] [--clients 100] [--json]

Goals (issue 19): one-client p99 within 3x of raw; every one of 100 clients within 2x of
the one-client p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 100


def _now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _summary(latencies_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_percentile(latencies_ms, 0.50), 3),
        "p99_ms": round(_percentile(latencies_ms, 0.99), 3),
        "received": len(latencies_ms),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _messages(count: int) -> list[Any]:
    from signal_bus.messages import ForecastUpdate

    base = ForecastUpdate.create(
        asset="BTCUSD",
        horizon="4h",
        prediction=0.0082,
        confidence=0.76,
        model="lightgbm",
        model_version="bench",
        now=datetime.now(UTC),
    )
    return [replace(base, id=f"bench-{index}", ts_init=datetime.now(UTC)) for index in range(count)]


# ---------------------------------------------------------------- raw Redis


def _raw_subscriber(url: str, channel: str, count: int, pipe: Connection) -> None:
    import redis

    client = redis.Redis.from_url(url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel)
    pipe.send("ready")
    received: dict[int, int] = {}
    deadline = time.monotonic() + 120
    while len(received) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1.0)
        if message is not None and message["type"] == "message":
            now = _now_ns()
            received[int(json.loads(message["data"])["id"].split("-")[1])] = now
    pipe.send(received)


def run_raw(url: str, count: int, interval_s: float) -> dict[str, float]:
    import redis

    from signal_bus.codec import encode

    channel = f"bench-raw-{uuid.uuid4().hex[:8]}"
    messages = _messages(count)
    payloads = [encode(message) for message in messages]
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_raw_subscriber, args=(url, channel, count, child))
    process.start()
    parent.recv()
    client = redis.Redis.from_url(url)
    sent: dict[int, int] = {}
    for index, payload in enumerate(payloads):
        sent[index] = _now_ns()
        client.publish(channel, payload)
        time.sleep(interval_s)
    received = parent.recv()
    process.join(10)
    latencies = [(received[i] - sent[i]) / 1e6 for i in received if i >= WARMUP]
    return _summary(latencies)


# ---------------------------------------------------------------- the gateway


def _clients_process(url: str, token: str, clients: int, count: int, pipe: Connection) -> None:
    from websockets.asyncio.client import connect

    async def one(index: int, ready: asyncio.Event, counter: list[int]) -> dict[int, int]:
        received: dict[int, int] = {}
        async with connect(url, max_size=2**20, compression=None) as socket_:
            await socket_.send(json.dumps({"type": "auth", "token": token}))
            await socket_.send(json.dumps({"type": "subscribe", "channels": ["forecast_updates"]}))
            while True:
                frame = json.loads(await socket_.recv())
                if frame["type"] == "subscribed":
                    break
            counter[0] += 1
            if counter[0] == clients:
                ready.set()
            deadline = time.monotonic() + 180
            while len(received) < count and time.monotonic() < deadline:
                try:
                    text = await asyncio.wait_for(socket_.recv(), 5)
                except TimeoutError:
                    continue
                now = _now_ns()
                frame = json.loads(text)
                if frame["type"] == "message" and frame["data"]["id"].startswith("bench-"):
                    received[int(frame["data"]["id"].split("-")[1])] = now
        return received

    async def main() -> list[dict[int, int]]:
        ready = asyncio.Event()
        counter = [0]
        tasks = [asyncio.create_task(one(index, ready, counter)) for index in range(clients)]
        await ready.wait()
        pipe.send("ready")
        return list(await asyncio.gather(*tasks))

    pipe.send(asyncio.run(main()))


def run_gateway(
    url: str, bus_url: str, namespace: str, token: str, clients: int, count: int, interval_s: float
) -> list[dict[str, float]]:
    from signal_bus.redis_bus import RedisBus

    messages = _messages(count)
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(
        target=_clients_process, args=(url, token, clients, count, child)
    )
    process.start()
    parent.recv()
    bus = RedisBus(url=bus_url, namespace=namespace)
    sent: dict[int, int] = {}
    for index, message in enumerate(messages):
        sent[index] = _now_ns()
        bus.publish(message)
        time.sleep(interval_s)
    per_client = parent.recv()
    process.join(10)
    bus.close()
    return [
        _summary([(received[i] - sent[i]) / 1e6 for i in received if i >= WARMUP])
        for received in per_client
    ]


def _setup_database(folder: Path, environment: dict[str, str]) -> str:
    """Migrate a fresh SQLite database and return a viewer's access token."""
    os.environ.update(environment)
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench-viewer", password=secrets.token_urlsafe(16))
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    return str(RefreshToken.for_user(user).access_token)


def _start_gateway(environment: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "uvicorn", "backend.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio",
        "--ws-per-message-deflate", "false", "--lifespan", "off", "--log-level", "warning",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **environment})  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("the gateway did not start")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--interval-ms", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args(argv)
    count = arguments.count + WARMUP
    interval_s = arguments.interval_ms / 1000

    from backend.settings.cache import redis_url_from_environment

    bus_url = redis_url_from_environment()
    namespace = f"bench-gateway-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as folder:
        environment = {
            "DJANGO_SETTINGS_MODULE": "backend.settings.development",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": "",
            "DB_HOST": "",
            "DB_SQLITE_PATH": str(Path(folder) / "gateway.sqlite3"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "AUDIT_CHAIN_KEY": secrets.token_urlsafe(50),
            "REDIS_URL": bus_url,
            "SIGNAL_BUS_NAMESPACE": namespace,
            "UPDATES_QUEUE_SIZE": "10000",
        }
        token = _setup_database(Path(folder), environment)
        port = _free_port()
        gateway = _start_gateway(environment, port)
        url = f"ws://127.0.0.1:{port}/ws/updates/"
        try:
            raw = run_raw(bus_url, count, interval_s)
            one = run_gateway(url, bus_url, namespace, token, 1, count, interval_s)[0]
            hundred = run_gateway(
                url, bus_url, namespace, token, arguments.clients, count, interval_s
            )
        finally:
            gateway.terminate()
            gateway.wait(10)
            import redis

            client = redis.Redis.from_url(bus_url)
            keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
            if keys:
                client.delete(*keys)
    worst = max(hundred, key=lambda summary: summary["p99_ms"])
    figures = {
        "messages": arguments.count,
        "interval_ms": arguments.interval_ms,
        "raw": raw,
        "one_client": one,
        "clients": arguments.clients,
        "many_clients_worst": worst,
        "many_clients_median_p50_ms": round(
            _percentile([summary["p50_ms"] for summary in hundred], 0.5), 3
        ),
        "many_clients_all_received": all(
            summary["received"] == arguments.count for summary in hundred
        ),
        "one_client_p99_over_raw": round(one["p99_ms"] / raw["p99_ms"], 2),
        "worst_client_p99_over_one_client": round(worst["p99_ms"] / one["p99_ms"], 2),
    }
    figures["goal_one_client_within_3x_raw"] = figures["one_client_p99_over_raw"] <= 3.0
    figures["goal_every_client_within_2x_one"] = figures["worst_client_p99_over_one_client"] <= 2.0
    if arguments.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
