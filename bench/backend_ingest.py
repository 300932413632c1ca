"""Recorder ingestion rate against raw PostgreSQL binary COPY of the same rows, in one run.

Creates a scratch database (dropped afterwards), publishes ``--messages`` forecasts on a
private bus namespace, and measures:

* raw: encode the same rows in binary COPY format and ``COPY`` them into the forecast table;
* recorder: the backend recorder (consumer group -> decode -> batched insert with
  idempotency and derived signals -> commit -> ack) draining the stream.

The two are interleaved for ``--rounds`` rounds (the order alternates each round, so neither
always runs on a warmer machine) and the best and the median of each are reported, with the
ratios of the bests, of the medians, and the median of the per-round ratios. The recorder runs
with the configuration ``manage.py record_streams`` uses by default (batch size, workers per
channel, block time) unless ``--batch-size`` or ``--workers`` say otherwise.

Goal: recorder rate >= 25 % of raw. ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: record_streams' default"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved raw/recorder rounds; best and median"
    )
    parser.add_argument("--db-host", default=os.environ.get("BENCH_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("BENCH_DB_USER", "postgres"))
    parser.add_argument("--db-password", default=os.environ.get("BENCH_DB_PASS", ""))
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="recorder consumers of forecast_updates (default: record_streams' default)",
    )
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    if arguments.messages < 1 or arguments.rounds < 1:
        parser.error("--messages and --rounds must be at least 1")
    return arguments


def admin_connection(arguments: argparse.Namespace) -> Any:
    connection = psycopg2.connect(
        host=arguments.db_host,
        user=arguments.db_user,
        password=arguments.db_password,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection


def setup_django(arguments: argparse.Namespace, database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backend.settings.development", DEBUG="0", LOG_LEVEL="WARNING",
        DB_HOST=arguments.db_host, DB_NAME=database, DB_USER=arguments.db_user, DB_PASS=arguments.db_password,
        REDIS_URL=arguments.redis_url, DB_CONN_MAX_AGE="0",
    )  # fmt: skip
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def build_messages(count: int) -> list[Any]:
    from signal_bus.messages import ForecastUpdate

    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [
        ForecastUpdate(
            id=uuid.uuid4().hex,
            ts_event=start + timedelta(minutes=index),
            ts_init=start + timedelta(minutes=index),
            asset=f"A{index % 50:03d}",
            horizon=("1h", "4h", "1d")[index % 3],
            prediction=((index % 17) - 8) / 1000,
            confidence=0.5 + (index % 50) / 100,
            model="lightgbm",
            model_version="bench",
        )
        for index in range(count)
    ]


def raw_copy_seconds(
    arguments: argparse.Namespace, database: str, messages: list[Any], model_version_id: int
) -> float:
    from backend.forecasts.bulk_copy import forecast_rows_copy

    connection = psycopg2.connect(
        host=arguments.db_host,
        user=arguments.db_user,
        password=arguments.db_password,
        dbname=database,
    )
    try:
        started = time.perf_counter()
        rows = (
            {
                "message_id": m.id, "asset": m.asset, "horizon": m.horizon, "prediction": m.prediction,
                "confidence": m.confidence, "timestamp": m.ts_event, "ts_init": m.ts_init, "model": m.model,
                "model_version_id": model_version_id,
            }
            for m in messages
        )  # fmt: skip
        with connection.cursor() as cursor:
            forecast_rows_copy(cursor=cursor, rows=rows, received_at=datetime.now(UTC))
        connection.commit()
        elapsed = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM forecasts_forecast")
            assert cursor.fetchone()[0] == len(messages)
            cursor.execute("TRUNCATE forecasts_forecast, forecasts_signal")
        connection.commit()
        return elapsed
    finally:
        connection.close()


def truncate_forecasts(arguments: argparse.Namespace, database: str) -> None:
    connection = psycopg2.connect(
        host=arguments.db_host,
        user=arguments.db_user,
        password=arguments.db_password,
        dbname=database,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE forecasts_forecast, forecasts_signal")
        connection.commit()
    finally:
        connection.close()


def recorder_defaults() -> dict[str, int]:
    """The batch size, forecast consumers and block time ``manage.py record_streams`` runs with
    by default on this database (read from the command's own parser)."""
    from django.db import connection

    from backend.recorder.management.commands.record_streams import (
        Command,
        forecast_workers_resolve,
    )
    from engines.recorder.runner import RecorderConfig

    options = vars(Command().create_parser("manage.py", "record_streams").parse_args([]))
    config = RecorderConfig(
        channels=("forecast_updates",),
        group="g",
        consumer="c",
        workers_per_channel=options["workers_per_channel"],
        forecast_workers=forecast_workers_resolve(
            requested=options["forecast_workers"], vendor=connection.vendor
        ),
    )
    return {
        "batch_size": options["batch_size"],
        "workers": config.workers_for("forecast_updates"),
        "block_ms": options["block_ms"],
    }


def recorder_seconds(
    arguments: argparse.Namespace, messages: list[Any], payloads: list[bytes]
) -> float:
    from django.db import connection

    from backend.recorder.handlers import DatabaseStore
    from engines.recorder.runner import Recorder, RecorderConfig
    from signal_bus.channels import FORECAST_UPDATES
    from signal_bus.redis_bus import RedisBus

    namespace = f"bench-ingest-{uuid.uuid4().hex[:10]}"
    bus = RedisBus(url=arguments.redis_url, namespace=namespace)
    try:
        for message, payload in zip(messages, payloads, strict=True):
            bus.publish_payload(FORECAST_UPDATES, message.key, payload)
        recorder = Recorder(
            bus=bus,
            store=DatabaseStore(),
            config=RecorderConfig(
                channels=(FORECAST_UPDATES,),
                group="bench",
                consumer="bench-1",
                batch_size=arguments.batch_size,
                block_ms=arguments.block_ms,
                forecast_workers=arguments.workers,
            ),
        )
        started = time.perf_counter()
        recorder.start()
        # Processed counts messages acknowledged, i.e. after their batch committed.
        while recorder.processed() < len(messages):
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        recorder.stop()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM forecasts_forecast")
            stored = cursor.fetchone()[0]
        if stored != len(messages):
            raise RuntimeError(f"recorder stored {stored} of {len(messages)} messages")
        return elapsed
    finally:
        keys = list(bus.client.scan_iter(match=f"{namespace}:*"))
        if keys:
            bus.client.delete(*keys)
        bus.close()


def _summary(seconds: list[float], count: int) -> dict[str, float]:
    return {"best": count / min(seconds), "median": count / statistics.median(seconds)}


def main() -> None:
    arguments = parse_arguments()
    database = f"ats_bench_ingest_{os.getpid()}"
    admin = admin_connection(arguments)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    try:
        setup_django(arguments, database)
        from backend.forecasts.models import ModelVersion
        from signal_bus.codec import encode

        model_version = ModelVersion.objects.create(model="lightgbm", version="bench")
        defaults = recorder_defaults()
        if arguments.batch_size is None:
            arguments.batch_size = defaults["batch_size"]
        if arguments.workers is None:
            arguments.workers = defaults["workers"]
        arguments.block_ms = defaults["block_ms"]
        messages = build_messages(arguments.messages)
        payloads = [encode(message) for message in messages]
        copy_runs: list[float] = []
        recorder_runs: list[float] = []
        for round_index in range(arguments.rounds):
            if round_index % 2 == 0:
                copy_runs.append(raw_copy_seconds(arguments, database, messages, model_version.pk))
                recorder_runs.append(recorder_seconds(arguments, messages, payloads))
            else:
                recorder_runs.append(recorder_seconds(arguments, messages, payloads))
                truncate_forecasts(arguments, database)
                copy_runs.append(raw_copy_seconds(arguments, database, messages, model_version.pk))
            truncate_forecasts(arguments, database)
        raw = _summary(copy_runs, arguments.messages)
        recorder = _summary(recorder_runs, arguments.messages)
        paired = statistics.median(c / r for c, r in zip(copy_runs, recorder_runs, strict=True))
        result = {
            "messages": arguments.messages,
            "batch_size": arguments.batch_size,
            "rounds": arguments.rounds,
            "workers": arguments.workers,
            "record_streams_defaults": defaults,
            "raw_copy_rows_per_s": round(raw["best"]),
            "recorder_rows_per_s": round(recorder["best"]),
            "recorder_share_of_raw": round(recorder["best"] / raw["best"], 3),
            "raw_copy_rows_per_s_median": round(raw["median"]),
            "recorder_rows_per_s_median": round(recorder["median"]),
            "recorder_share_of_raw_median": round(recorder["median"] / raw["median"], 3),
            "recorder_share_of_raw_paired_median": round(paired, 3),
            "raw_copy_seconds": [round(value, 4) for value in copy_runs],
            "recorder_seconds": [round(value, 4) for value in recorder_runs],
            "goal": 0.25,
        }
        if arguments.json:
            print(json.dumps(result))
        else:
            rounds = arguments.rounds
            print(f"{arguments.messages:,} forecasts, batch size {arguments.batch_size}, "
                  f"{arguments.workers} worker(s), {rounds} interleaved rounds")  # fmt: skip
            print(f"raw binary COPY : best {raw['best']:,.0f}, median {raw['median']:,.0f} rows/s")
            print(
                f"recorder        : best {recorder['best']:,.0f}, median {recorder['median']:,.0f} "
                "rows/s (forecast + signal rows, idempotent, ack after commit)"
            )
            print(
                f"recorder / raw  : bests {recorder['best'] / raw['best']:.1%}, medians "
                f"{recorder['median'] / raw['median']:.1%}, per-round median {paired:.1%} "
                "(goal >= 25%)"
            )
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
