"""Start the backend and the dashboard on localhost for the demo, and stop them again."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Service:
    """A started child process and where it answers."""

    name: str
    url: str
    ready_url: str
    process: subprocess.Popen[bytes]


def _wait_until_up(url: str, process: subprocess.Popen[bytes], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:  # noqa: S310 - localhost
                if response.status < 500:
                    return
        except urllib.error.HTTPError as error:
            if error.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")


def _start(
    name: str,
    command: list[str],
    *,
    url: str,
    ready_url: str,
    env: Mapping[str, str],
    log: Path,
    timeout_s: float,
) -> Service:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, cwd=PROJECT_ROOT, env=dict(env), stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(ready_url, process, timeout_s)
    except Exception:
        process.terminate()
        raise
    return Service(name=name, url=url, ready_url=ready_url, process=process)


def dashboard_command(port: int) -> list[str]:
    """``streamlit run`` of the dashboard on localhost, headless, as users see it.

    ``client.toolbarMode=viewer`` hides Streamlit's developer tools (Deploy, Rerun,
    Clear cache), which Streamlit otherwise shows to anyone opening it on localhost.
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "dashboard/app.py",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


@contextmanager
def services(
    *, api_port: int, dashboard_port: int, log_folder: Path, timeout_s: float = 90.0
) -> Iterator[list[Service]]:
    """Run the backend (Django) and the dashboard (Streamlit) until the block ends."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.development")
    api_url = f"http://127.0.0.1:{api_port}"
    env["ATS_API_URL"] = api_url
    started: list[Service] = []
    try:
        started.append(
            _start(
                "backend",
                [
                    sys.executable,
                    "backend/manage.py",
                    "runserver",
                    f"127.0.0.1:{api_port}",
                    "--noreload",
                ],
                url=f"{api_url}/api/docs/",
                ready_url=f"{api_url}/api/schema/",
                env=env,
                log=log_folder / "backend.log",
                timeout_s=timeout_s,
            )
        )
        started.append(
            _start(
                "dashboard",
                dashboard_command(dashboard_port),
                url=f"http://127.0.0.1:{dashboard_port}",
                ready_url=f"http://127.0.0.1:{dashboard_port}/_stcore/health",
                env=env,
                log=log_folder / "dashboard.log",
                timeout_s=timeout_s,
            )
        )
        yield started
    finally:
        for service in reversed(started):
            service.process.terminate()
        for service in started:
            try:
                service.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                service.process.kill()
