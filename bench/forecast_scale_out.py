"""A forecast cycle of many assets fanned out over 1 and 2 Celery workers, versus in-line.

Synthetic data: seeded random-walk daily equity bars for ``--assets`` assets x ``--bars``
bars, written as a LEAN data folder. A private ``redis-server`` is the broker and the
bus. Measured:

* training: the period's model version trained before the cycle (a full walk-forward
  over every asset, what the fan-out's parent task does when the version is missing);
* in-line: one process, the engine's steady-state cycle (``ForecastEngine.run_cycle``
  within a period: load every asset's bars, features on the trailing window, predict,
  publish), after a warm-up;
* fan-out with N workers (separate ``celery worker --pool prefork --concurrency 1``
  processes): from sending ``engines.forecast_fanout`` to the merged cycle summary,
  after a warm-up cycle on freshly started workers;

The configurations are interleaved: each of ``--rounds`` rounds runs ``--cycles``
measured cycles of every configuration in turn, so load from elsewhere on the machine
falls on all of them alike; the figures are medians over every measured cycle (with min and max).
* training included: one fan-out cycle (1 worker) on an empty registry, so the parent
  trains the version first.

The broker, the workers and this script share the machine's cores.

Usage::

    python bench/forecast_scale_out.py [--assets 1000] [--bars 400] [--group-size 100]
        [--workers 1,2] [--rounds 3] [--cycles 2] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
from celery import Celery

from engines.forecast.engine import ForecastEngine, config_from_environment
from signal_bus import RedisBus
from tests.integration.scale_out.cluster import (
    Worker,
    engine_environment,
    worker_database,
    write_synthetic_daily,
)
from tests.support.redis_server import RedisServer

FIRST_DAY = dt.date(2011, 1, 3)


def _cycle_time(bars: int) -> dt.datetime:
    import pandas as pd

    last = pd.bdate_range(FIRST_DAY, periods=bars)[-1]
    return dt.datetime(last.year, last.month, last.day, 23, 0, tzinfo=dt.UTC)


def _latest_cycle(client: redis.Redis, namespace: str) -> dict[str, object] | None:
    raw = client.get(f"{namespace}:forecast_fanout:last:1d")
    return None if raw is None else dict(json.loads(raw))


def _fan_out_cycle(
    sender: Celery, client: redis.Redis, namespace: str, now: dt.datetime, group_size: int
) -> tuple[float, dict[str, object]]:
    before = _latest_cycle(client, namespace)
    known = None if before is None else before["cycle_id"]
    started = time.perf_counter()
    sender.send_task(
        "engines.forecast_fanout",
        args=["1d"],
        kwargs={"group_size": group_size, "now": now.isoformat()},
    )
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        latest = _latest_cycle(client, namespace)
        if latest is not None and latest["cycle_id"] != known:
            return time.perf_counter() - started, latest
        time.sleep(0.01)
    raise TimeoutError("the fanned-out cycle did not finish")


def _timed(function: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def _with_environment(environment: dict[str, str]) -> None:
    for key, value in environment.items():
        os.environ[key] = value


def _run_workers(
    count: int,
    environment: dict[str, str],
    folder: Path,
    server: RedisServer,
    now: dt.datetime,
    arguments: argparse.Namespace,
) -> tuple[list[float], dict[str, object]]:
    """Start ``count`` workers, run a warm-up cycle and ``--cycles`` measured ones, stop them."""
    namespace = environment["SIGNAL_BUS_NAMESPACE"]
    workers = [
        Worker(environment, f"bench-{count}-{index}", folder / f"worker-{count}-{index}.log")
        for index in range(count)
    ]
    client = redis.Redis.from_url(server.url)
    sender = Celery("scale-out-bench", broker=server.url)
    try:
        for worker in workers:
            worker.wait_ready(timeout=120)
        _fan_out_cycle(sender, client, namespace, now, arguments.group_size)
        timings = []
        summary: dict[str, object] = {}
        for _ in range(arguments.cycles):
            seconds, summary = _fan_out_cycle(sender, client, namespace, now, arguments.group_size)
            timings.append(seconds)
        return timings, summary
    finally:
        for worker in workers:
            worker.stop()
        client.close()
        sender.close()


def _figures(timings: list[float], assets: int) -> dict[str, object]:
    wall = statistics.median(timings)
    return {
        "wall_seconds": wall,
        "wall_seconds_min": min(timings),
        "wall_seconds_max": max(timings),
        "cycles": len(timings),
        "assets_per_second": assets / wall,
    }


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=400)
    parser.add_argument("--group-size", type=int, default=100)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--cycles", type=int, default=2, help="measured cycles per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    worker_counts = [int(part) for part in arguments.workers.split(",") if part.strip()]
    assets = [f"SYN{index:04d}" for index in range(arguments.assets)]
    now = _cycle_time(arguments.bars)
    figures: dict[str, object] = {
        "assets": arguments.assets,
        "bars": arguments.bars,
        "group_size": arguments.group_size,
        "cpu_count": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="scale-out-") as temporary, RedisServer() as server:
        folder = Path(temporary)
        figures["write_data_seconds"], _ = _timed(
            lambda: write_synthetic_daily(folder / "data", assets, arguments.bars, arguments.seed)
        )

        database = worker_database(folder)

        def environment_for(namespace: str, registry: str) -> dict[str, str]:
            return {
                **engine_environment(
                    data_folder=folder / "data",
                    registry=folder / registry,
                    assets=assets,
                    redis_url=server.url,
                    namespace=namespace,
                ),
                **database,
            }

        environment = environment_for("bench", "models")
        _with_environment(environment)
        config = config_from_environment("1d", environment)
        training_seconds, trained = _timed(
            lambda: ForecastEngine(config, None).run_cycle(now).versions_trained
        )
        figures["training"] = {"seconds": training_seconds, "versions_trained": trained}

        inline_timings: list[float] = []
        fan_out_timings: dict[int, list[float]] = {count: [] for count in worker_counts}
        summaries: dict[int, dict[str, object]] = {}
        with RedisBus(url=server.url, namespace="bench-inline") as bus:
            engine = ForecastEngine(config, bus)
            engine.run_cycle(now)
            for _ in range(arguments.rounds):
                inline_timings.extend(
                    _timed(lambda: engine.run_cycle(now))[0] for _ in range(arguments.cycles)
                )
                for count in worker_counts:
                    timings, summaries[count] = _run_workers(
                        count, environment, folder, server, now, arguments
                    )
                    fan_out_timings[count].extend(timings)
        inline = statistics.median(inline_timings)
        figures["inline"] = _figures(inline_timings, arguments.assets)
        runs = []
        for count in worker_counts:
            run = {"workers": count, **_figures(fan_out_timings[count], arguments.assets)}
            run["forecast"] = summaries[count]["forecast_count"]
            run["missing"] = len(summaries[count]["missing"])  # type: ignore[arg-type]
            run["groups"] = summaries[count]["group_count"]
            run["speed_up_vs_inline"] = inline / float(str(run["wall_seconds"]))
            runs.append(run)
        if runs:
            base = float(str(runs[0]["wall_seconds"]))
            for run in runs:
                run["speed_up_vs_first"] = base / float(str(run["wall_seconds"]))
        figures["fan_out"] = runs

        cold = environment_for("bench-cold", "models-cold")
        worker = Worker(cold, "bench-cold", folder / "worker-cold.log")
        client = redis.Redis.from_url(server.url)
        sender = Celery("scale-out-bench-cold", broker=server.url)
        try:
            worker.wait_ready(timeout=120)
            seconds, summary = _fan_out_cycle(
                sender, client, "bench-cold", now, arguments.group_size
            )
        finally:
            worker.stop()
            client.close()
            sender.close()
        figures["training_included_one_worker"] = {
            "wall_seconds": seconds,
            "forecast": summary["forecast_count"],
        }

    if arguments.json:
        print(json.dumps(figures))
        return
    print(
        f"{arguments.assets} assets x {arguments.bars} daily bars, groups of {arguments.group_size}"
    )
    print(f"  training the period's version: {training_seconds:8.2f} s")
    print(
        f"  in-line cycle (one process):   {inline:8.2f} s  {arguments.assets / inline:8.1f} assets/s"
    )
    for run in runs:
        print(
            f"  fan-out, {run['workers']} worker(s):          {float(str(run['wall_seconds'])):8.2f} s"
            f"  {float(str(run['assets_per_second'])):8.1f} assets/s"
            f"  speed-up {float(str(run['speed_up_vs_first'])):.2f}x vs 1 worker,"
            f" {float(str(run['speed_up_vs_inline'])):.2f}x vs in-line"
        )
    print(f"  fan-out with training, 1 worker: {seconds:8.2f} s")


if __name__ == "__main__":
    main()
