"""Recorder ingestion rate against raw PostgreSQL binary COPY of the same rows, in one run.

Creates a scratch database (dropped afterwards), publishes ``--messages`` forecasts on a
private bus namespace, and measures:

* raw: encode the same rows in binary COPY format and ``COPY`` them into the forecast table;
* recorder: the backend recorder (consumer group -> decode -> batched ORM insert with
  idempotency and derived signals -> commit -> ack) draining the stream.

Goal: recorder rate >= 25 % of raw. ``--json`` prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternating raw/recorder rounds; best of each"
    )
    parser.add_argument("--db-host", default=os.environ.get("BENCH_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("BENCH_DB_USER", "postgres"))
    parser.add_argument("--db-password", default=os.environ.get("BENCH_DB_PASS", ""))
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--workers", type=int, default=1, help="recorder consumers on the channel")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


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


def recorder_seconds(arguments: argparse.Namespace, messages: list[Any]) -> float:
    from django.db import connection

    from backend.recorder.runner import Recorder, RecorderConfig
    from signal_bus.channels import FORECAST_UPDATES
    from signal_bus.redis_bus import RedisBus

    namespace = f"bench-ingest-{uuid.uuid4().hex[:10]}"
    bus = RedisBus(url=arguments.redis_url, namespace=namespace)
    try:
        for message in messages:
            bus.publish(message)
        recorder = Recorder(
            bus=bus,
            config=RecorderConfig(
                channels=(FORECAST_UPDATES,),
                group="bench",
                consumer="bench-1",
                batch_size=arguments.batch_size,
                block_ms=50,
                workers_per_channel=arguments.workers,
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


def main() -> None:
    arguments = parse_arguments()
    database = f"ats_bench_ingest_{os.getpid()}"
    admin = admin_connection(arguments)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    try:
        setup_django(arguments, database)
        from backend.forecasts.models import ModelVersion

        model_version = ModelVersion.objects.create(model="lightgbm", version="bench")
        messages = build_messages(arguments.messages)
        copy_runs: list[float] = []
        recorder_runs: list[float] = []
        for _ in range(arguments.rounds):
            copy_runs.append(raw_copy_seconds(arguments, database, messages, model_version.pk))
            recorder_runs.append(recorder_seconds(arguments, messages))
            truncate_forecasts(arguments, database)
        raw_rate = arguments.messages / min(copy_runs)
        recorder_rate = arguments.messages / min(recorder_runs)
        result = {
            "messages": arguments.messages,
            "batch_size": arguments.batch_size,
            "rounds": arguments.rounds,
            "workers": arguments.workers,
            "raw_copy_rows_per_s": round(raw_rate),
            "recorder_rows_per_s": round(recorder_rate),
            "recorder_share_of_raw": round(recorder_rate / raw_rate, 3),
            "goal": 0.25,
        }
        if arguments.json:
            print(json.dumps(result))
        else:
            print(f"raw binary COPY : {raw_rate:,.0f} rows/s (best of {arguments.rounds})")
            print(
                f"recorder        : {recorder_rate:,.0f} rows/s (best of {arguments.rounds}; forecast + signal rows, idempotent, ack after commit)"
            )
            print(f"recorder / raw  : {recorder_rate / raw_rate:.1%} (goal >= 25%)")
    finally:
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    main()
