"""``GET /api/forecasts/?asset=...&since=...`` (a page of 500) against the same raw SQL, in one run.

Creates a scratch database with ``--rows`` forecasts (binary COPY; the target size is 10
million), then times ``--requests`` API calls (in-process through Django's WSGI stack:
JWT authentication, role check, filters, cursor pagination, JSON) and the same query
through psycopg2, and prints p50/p95 of both and their ratio. Goal: API p95 within 3x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

ASSETS = 50
START = datetime(2020, 1, 1, tzinfo=UTC)
RAW_QUERY = """
SELECT f.id, f.message_id, f.asset, f.horizon, f.prediction, f.confidence, f."timestamp", f.ts_init,
       f.model, v.version, f.interval_low, f.interval_high
FROM forecasts_forecast f LEFT JOIN forecasts_modelversion v ON v.id = f.model_version_id
WHERE f.asset = %s AND f."timestamp" >= %s
ORDER BY f."timestamp" DESC, f.id DESC
LIMIT %s
"""


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="table size (target: 10000000)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--db-host", default=os.environ.get("BENCH_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-user", default=os.environ.get("BENCH_DB_USER", "postgres"))
    parser.add_argument("--db-password", default=os.environ.get("BENCH_DB_PASS", ""))
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database (reused by the next run)"
    )
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def connect(arguments: argparse.Namespace, database: str) -> Any:
    return psycopg2.connect(
        host=arguments.db_host,
        user=arguments.db_user,
        password=arguments.db_password,
        dbname=database,
    )


def ensure_database(arguments: argparse.Namespace, database: str) -> bool:
    admin = connect(arguments, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone():
                return False
            cursor.execute(f'CREATE DATABASE "{database}"')
            return True
    finally:
        admin.close()


def drop_database(arguments: argparse.Namespace, database: str) -> None:
    admin = connect(arguments, "postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        admin.close()


def setup_django(arguments: argparse.Namespace, database: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backend.settings.development", DEBUG="0", LOG_LEVEL="WARNING",
        DB_HOST=arguments.db_host, DB_NAME=database, DB_USER=arguments.db_user, DB_PASS=arguments.db_password,
        DB_CONN_MAX_AGE="600", ALLOWED_HOSTS="testserver",
    )  # fmt: skip
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load_rows(arguments: argparse.Namespace, database: str, model_version_id: int) -> None:
    """Bulk-load ``--rows`` forecasts: one per minute, assets in turn."""
    from backend.forecasts.bulk_copy import forecast_rows_copy

    connection = connect(arguments, database)
    chunk = 250_000
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM forecasts_forecast")
            present = cursor.fetchone()[0]
            if present == arguments.rows:
                return
            if present:
                cursor.execute("TRUNCATE forecasts_forecast")
            for offset in range(0, arguments.rows, chunk):
                rows = (
                    {
                        "message_id": f"bench-{index}", "asset": f"A{index % ASSETS:03d}",
                        "horizon": ("1h", "4h", "1d")[index % 3], "prediction": ((index % 17) - 8) / 1000,
                        "confidence": 0.5 + (index % 50) / 100, "timestamp": START + timedelta(minutes=index),
                        "ts_init": START + timedelta(minutes=index), "model": "lightgbm",
                        "model_version_id": model_version_id,
                    }
                    for index in range(offset, min(offset + chunk, arguments.rows))
                )  # fmt: skip
                forecast_rows_copy(cursor=cursor, rows=rows, received_at=datetime.now(UTC))
                connection.commit()
            cursor.execute("ANALYZE forecasts_forecast")
        connection.commit()
    finally:
        connection.close()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def measure(arguments: argparse.Namespace, database: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    user, _ = get_user_model().objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    # A window holding ~4 pages of the asset: the page is full and the index must be used.
    since = START + timedelta(minutes=max(0, arguments.rows - 4 * arguments.page_size * ASSETS))
    asset = "A007"
    parameters = {"asset": asset, "since": since.isoformat(), "page_size": arguments.page_size}
    raw = connect(arguments, database)
    api_samples: list[float] = []
    raw_samples: list[float] = []
    try:
        for round_number in range(arguments.requests + 20):
            started = time.perf_counter()
            response = client.get("/api/forecasts/", parameters)
            body = response.content
            api_elapsed = time.perf_counter() - started
            started = time.perf_counter()
            with raw.cursor() as cursor:
                cursor.execute(RAW_QUERY, [asset, since, arguments.page_size + 1])
                rows = cursor.fetchall()
            raw_elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"API answered {response.status_code}: {body[:200]!r}")
            if round_number >= 20:  # warm-up excluded
                api_samples.append(api_elapsed)
                raw_samples.append(raw_elapsed)
        results = json.loads(body)["results"]
        if len(results) != arguments.page_size or len(rows) != arguments.page_size + 1:
            raise RuntimeError(f"expected full pages, got {len(results)} and {len(rows)}")
        if results[0]["message_id"] != rows[0][1]:
            raise RuntimeError("API and raw SQL disagree on the first row")
    finally:
        raw.close()
    api_p95, raw_p95 = percentile(api_samples, 0.95), percentile(raw_samples, 0.95)
    return {
        "rows": arguments.rows,
        "page_size": arguments.page_size,
        "requests": arguments.requests,
        "api_p50_ms": round(statistics.median(api_samples) * 1000, 2),
        "api_p95_ms": round(api_p95 * 1000, 2),
        "raw_p50_ms": round(statistics.median(raw_samples) * 1000, 2),
        "raw_p95_ms": round(raw_p95 * 1000, 2),
        "ratio_p95": round(api_p95 / raw_p95, 2),
        "goal_ratio_p95": 3.0,
    }


def main() -> None:
    arguments = parse_arguments()
    database = f"ats_bench_api_{arguments.rows}"
    ensure_database(arguments, database)
    try:
        setup_django(arguments, database)
        from backend.forecasts.models import ModelVersion

        version, _ = ModelVersion.objects.get_or_create(model="lightgbm", version="bench")
        loading_started = time.perf_counter()
        load_rows(arguments, database, version.pk)
        loading_seconds = time.perf_counter() - loading_started
        result = measure(arguments, database)
        result["load_seconds"] = round(loading_seconds, 1)
        if arguments.json:
            print(json.dumps(result))
        else:
            print(
                f"table: {result['rows']:,} forecasts (loaded in {loading_seconds:.0f} s); page of {result['page_size']}"
            )
            print(f"API     p50 {result['api_p50_ms']} ms  p95 {result['api_p95_ms']} ms")
            print(f"raw SQL p50 {result['raw_p50_ms']} ms  p95 {result['raw_p95_ms']} ms")
            print(f"API / raw p95: {result['ratio_p95']}x (goal <= 3x)")
    finally:
        from django.db import connections

        connections.close_all()
        if not arguments.keep:
            drop_database(arguments, database)


if __name__ == "__main__":
    main()
