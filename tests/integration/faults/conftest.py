"""Fixtures for the fault tests: a private redis-server per test, recorder subprocesses, polling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.lean.lean_model import install as lean_model
from tests.support.redis_server import RedisServer

# The LEAN side runs in the framework fake, installed before any adapter is imported.
lean_model.install()

MANAGE = Path(__file__).resolve().parents[3] / "backend" / "manage.py"


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM ``process`` and wait; SIGKILL it if it does not exit in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A private redis-server with an append-only file, so a restart keeps streams and groups."""
    with RedisServer(persistent=True) as server:
        yield server


@pytest.fixture
def namespace() -> str:
    """A bus namespace no other test uses (the private server is deleted afterwards anyway)."""
    return f"faults-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def start_recorder(
    redis_server: RedisServer, namespace: str, tmp_path: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``manage.py record_streams`` against the test database and the private Redis."""
    from django.db import connection

    processes: list[subprocess.Popen[bytes]] = []
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.test",
        "TEST_DB_NAME": connection.settings_dict["NAME"],
        "REDIS_URL": redis_server.url,
        "LOG_LEVEL": "WARNING",
        "RECORDER_METRICS_PORT": "0",
    }

    def start(consumer: str, *extra: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"recorder-{consumer}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, str(MANAGE), "record_streams", "--namespace", namespace,
             "--consumer", consumer, "--batch-size", "100", "--block-ms", "100",
             "--claim-idle-ms", "1000", *extra],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        processes.append(process)
        return process

    yield start
    for process in processes:
        stop_process(process)


def resident_memory_kib(pid: int) -> int:
    """Return the resident set size (VmRSS) of process ``pid`` in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
