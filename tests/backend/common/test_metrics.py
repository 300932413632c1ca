"""``/metrics``: Prometheus text, request counts per view, every gunicorn worker summed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from engines.observability import metrics

ROOT = Path(__file__).resolve().parents[3]


def sample_value(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_metrics_is_prometheus_text_without_login() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE ats_http_requests_total counter" in response.content


def test_the_shared_engine_metrics_are_served_too() -> None:
    metrics.risk_factor_set(0.625)
    text = Client().get("/metrics").content.decode()
    assert sample_value(text, "ats_risk_factor") == 0.625


def test_requests_are_counted_per_view_and_status() -> None:
    client = Client()
    before = client.get("/metrics").content.decode()
    for _ in range(3):
        assert client.get("/api/auth/me/").status_code == 401
    assert client.get("/no/such/page").status_code == 404
    after = client.get("/metrics").content.decode()
    labels = {"view": "auth_me", "method": "GET", "status": "401"}
    assert (
        sample_value(after, "ats_http_requests_total", **labels)
        - sample_value(before, "ats_http_requests_total", **labels)
        == 3
    )
    unmatched = {"view": "unmatched", "method": "GET", "status": "404"}
    assert sample_value(after, "ats_http_requests_total", **unmatched) >= 1
    timed = {"view": "auth_me", "method": "GET"}
    assert (
        sample_value(after, "ats_http_request_duration_seconds_count", **timed)
        - sample_value(before, "ats_http_request_duration_seconds_count", **timed)
        == 3
    )
    assert sample_value(after, "ats_http_request_duration_seconds_sum", **timed) > 0


def test_only_get(db: Any) -> None:
    assert Client().post("/metrics").status_code == 405


def test_not_in_the_api_schema(anonymous: Any) -> None:
    paths = anonymous.get("/api/schema/?format=json").json()["paths"]
    assert not [path for path in paths if "metrics" in path]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_gunicorn_workers_are_summed(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    port = _free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DB_HOST", "DJANGO_SETTINGS_MODULE"}
    }
    environment.update(
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        DJANGO_SETTINGS_MODULE="backend.settings.development",
        DB_SQLITE_PATH=str(tmp_path / "unused.sqlite3"),
        PYTHONPATH=str(ROOT),
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi:application", f"--bind=127.0.0.1:{port}",
         "--workers=2", "--timeout=30"],
        cwd=tmp_path, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/metrics", timeout=2)
                break
            except httpx.HTTPError as error:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = (tmp_path / "gunicorn.log").read_text(errors="replace")
                    raise AssertionError(f"gunicorn did not start: {output}") from error
                time.sleep(0.2)

        def ask(_: int) -> int:
            with httpx.Client(timeout=10) as client:  # a new connection each time
                return client.get(f"{base}/api/auth/me/").status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(pool.map(ask, range(30)))
        assert statuses == [401] * 30
        labels = {"view": "auth_me", "method": "GET", "status": "401"}
        # Whichever worker answers, it reports every worker's requests.
        for _ in range(4):
            text = httpx.get(f"{base}/metrics", timeout=5).text
            assert sample_value(text, "ats_http_requests_total", **labels) == 30
        assert list(folder.glob("counter_*.db"))
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
