"""The live-updates gateway for browser tests: uvicorn serving the backend's ASGI application.

It runs as its own process on a free port, on the seeded backend's database and bus
namespace, as docker compose's ``gateway`` service runs next to the backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from .backend_server import REDIS_URL, ROOT, BackendServer, _database_url, free_port


@contextmanager
def running_gateway(backend: BackendServer, *, timeout_seconds: float = 60) -> Iterator[str]:
    """Start the gateway for ``backend``; yield its ``ws://`` URL; stop it afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.development",
        "DEBUG": "0",
        "DATABASE_URL": _database_url(backend.database),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": REDIS_URL,
        "SIGNAL_BUS_NAMESPACE": backend.namespace,
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
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "backend.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
         "--lifespan", "off", "--log-level", "warning"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the gateway did not answer on port {port}")
            time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}/ws/updates/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
