"""A real backend for the dashboard tests: a fresh PostgreSQL database, seeded, served on a free port.

The database and the bus namespace are unique per server and removed afterwards, so
concurrent test runs on the same PostgreSQL and Redis do not meet.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg2
from psycopg2 import sql

from tests.support.redis_namespace import delete_namespace

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_HOST = os.environ.get("TEST_DB_HOST", "127.0.0.1")
POSTGRES_PORT = os.environ.get("TEST_DB_PORT", "5432")
POSTGRES_USER = os.environ.get("TEST_DB_USER", "postgres")
POSTGRES_PASSWORD = os.environ.get("TEST_DB_PASS", "")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class BackendServer:
    """Where the seeded backend listens and who may log in."""

    url: str
    viewer: str
    operator: str
    password: str
    database: str
    namespace: str
    no_role: str = ""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _admin_connection() -> psycopg2.extensions.connection:
    connection = psycopg2.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER,
        password=POSTGRES_PASSWORD, dbname="postgres",
    )  # fmt: skip
    connection.autocommit = True
    return connection


def _database_url(name: str) -> str:
    credentials = POSTGRES_USER + (f":{POSTGRES_PASSWORD}" if POSTGRES_PASSWORD else "")
    return f"postgresql://{credentials}@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the backend exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the backend did not answer on {url} within {timeout_seconds} s")


@contextmanager
def running_backend(
    *, assets: int = 3, hours: int = 48, horizons: str = "1h,4h,1d", seed_timeout: float = 900
) -> Iterator[BackendServer]:
    """Create, seed and serve a backend; remove its database and bus keys afterwards."""
    suffix = uuid.uuid4().hex[:10]
    database = f"ats_dashboard_{suffix}"
    namespace = f"test-dashboard-{suffix}"
    password = secrets.token_urlsafe(16)
    server = BackendServer(
        url=f"http://127.0.0.1:{free_port()}", viewer=f"viewer-{suffix}",
        operator=f"operator-{suffix}", password=password, database=database, namespace=namespace,
        no_role=f"norole-{suffix}",
    )  # fmt: skip
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.development",
        "DEBUG": "0",
        "DATABASE_URL": _database_url(database),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": REDIS_URL,
        "SIGNAL_BUS_NAMESPACE": namespace,
        "SEED_PASSWORD": password,
        "SEED_VIEWER": server.viewer,
        "SEED_OPERATOR": server.operator,
        "SEED_NO_ROLE": server.no_role,
        # The pages log in many times a minute; login throttling is tested in tests/security.
        "LOGIN_THROTTLE_USERNAME_RATE": "10000/min",
        "LOGIN_THROTTLE_ADDRESS_RATE": "10000/min",
        "PYTHONPATH": os.pathsep.join(
            [
                str(ROOT),
                *(
                    str(ROOT / "Library" / name)
                    for name in ("alpha_models", "risk_models", "signal_bus")
                ),
            ]
        ),
    }
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [sys.executable, "-m", "tests.dashboard.seed_backend", "--assets", str(assets),
             "--hours", str(hours), "--horizons", horizons],
            cwd=ROOT, env=environment, check=True, timeout=seed_timeout,
        )  # fmt: skip
        port = server.url.rsplit(":", 1)[1]
        process = subprocess.Popen(
            [sys.executable, "backend/manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_healthy(server.url, process, timeout_seconds=60)
        yield server
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        with admin.cursor() as cursor:
            cursor.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        admin.close()
        delete_namespace(REDIS_URL, namespace)
