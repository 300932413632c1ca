"""A synthetic LEAN data folder and real Celery workers on a private Redis, for fan-out tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from market_data.lean import write_bars

REPOSITORY = Path(__file__).resolve().parents[3]


def write_synthetic_daily(folder: Path, assets: list[str], bars: int, seed: int) -> None:
    """Write seeded random-walk daily equity bars for ``assets`` into a LEAN data folder."""
    generator = np.random.default_rng(seed)
    days = pd.bdate_range("2011-01-03", periods=bars)
    for asset in assets:
        close = 50.0 * np.exp(np.cumsum(generator.normal(0.0003, 0.015, bars)))
        spread = np.abs(generator.normal(0.0, 0.006, bars))
        frame = pd.DataFrame(
            {
                "open": close * (1 + generator.normal(0.0, 0.003, bars)),
                "high": close * (1 + spread + 0.004),
                "low": close * (1 - spread - 0.004),
                "close": close,
                "volume": generator.integers(100_000, 1_000_000, bars).astype(float),
            },
            index=pd.DatetimeIndex(days, name="time"),
        )
        write_bars(
            folder, frame, security_type="equity", market="usa", symbol=asset, resolution="daily"
        )


def engine_environment(
    *, data_folder: Path, registry: Path, assets: list[str], redis_url: str, namespace: str
) -> dict[str, str]:
    """Return the variables the engine, the bus and Celery read."""
    return {
        "ATS_FORECAST_SOURCE": "lean",
        "ATS_DATA_FOLDER": str(data_folder),
        "ATS_FORECAST_SYMBOLS": ",".join(assets),
        "ATS_FORECAST_MODEL": "lightgbm",
        "ATS_FORECAST_RETRAIN": "quarterly",
        "ATS_MODEL_REGISTRY": str(registry),
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "SIGNAL_BUS_NAMESPACE": namespace,
    }


def worker_database(folder: Path) -> dict[str, str]:
    """Return the variables of a migrated SQLite database for workers, in ``folder``.

    The fanned-out cycle records model versions' statuses in the backend's registry, so
    the workers need the backend's tables (development settings, a file of their own).
    """
    path = folder / "worker.sqlite3"
    variables = {"DB_SQLITE_PATH": str(path)}
    env = {key: value for key, value in os.environ.items() if key not in _DATABASE_VARIABLES}
    env.update(variables, DJANGO_SETTINGS_MODULE="backend.settings.development")
    subprocess.run(
        [sys.executable, "backend/manage.py", "migrate", "--verbosity", "0"],
        cwd=REPOSITORY,
        env=env,
        check=True,
    )
    return variables


_DATABASE_VARIABLES = ("DATABASE_URL", "DB_HOST")


class Worker:
    """A ``celery worker`` subprocess (prefork, concurrency 1)."""

    def __init__(self, environment: Mapping[str, str], name: str, log: Path) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CELERY_", "ATS_", "REDIS_", "SIGNAL_BUS_"))
            and not ("DB_SQLITE_PATH" in environment and key in _DATABASE_VARIABLES)
        }
        env.update(environment)
        env["DJANGO_SETTINGS_MODULE"] = "backend.settings.development"
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "backend.celery_app",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--prefetch-multiplier",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{name}@%h",
            ],
            cwd=REPOSITORY,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait until the worker logs that it is ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text(errors='replace')}")
            if b"ready." in self.log.read_bytes():
                return
            time.sleep(0.1)
        raise TimeoutError(f"worker not ready: {self.log.read_text(errors='replace')}")

    def pool_children(self) -> list[int]:
        """Return the process ids of the pool's child processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def stop(self) -> None:
        """Stop the worker (warm shutdown, then kill)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
