"""The Streamlit dashboard served on a free port, pointed at a backend (for browser tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from .backend_server import ROOT, free_port

CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGUMENTS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def running_dashboard(
    *, api_url: str, timeout_seconds: float = 60, updates_url: str | None = None
) -> Iterator[str]:
    """Start ``streamlit run dashboard/app.py`` headless; yield its URL; stop it afterwards.

    ``updates_url`` sets ``ATS_UPDATES_URL`` (``"off"``: no live socket, the pages poll);
    ``None`` keeps the environment's.
    """
    port = free_port()
    environment = {
        **os.environ,
        **({} if updates_url is None else {"ATS_UPDATES_URL": updates_url}),
        "ATS_API_URL": api_url,
        "PYTHONPATH": os.pathsep.join(
            [
                str(ROOT),
                *(
                    str(ROOT / "Library" / name)
                    for name in ("alpha_models", "risk_models", "signal_bus")
                ),
                *filter(None, [os.environ.get("PYTHONPATH")]),
            ]
        ),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_seconds
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}")
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer on {url}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
