"""docker/healthcheck.py and docker/entrypoint.sh, run for real outside a container."""

from __future__ import annotations

import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.deploy.compose_model import REPOSITORY_ROOT
from tests.support.redis_server import RedisServer, free_port

ENTRYPOINT = REPOSITORY_ROOT / "docker" / "entrypoint.sh"


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "container_healthcheck", REPOSITORY_ROOT / "docker" / "healthcheck.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = load_healthcheck()


class StatusHandler(http.server.BaseHTTPRequestHandler):
    """Answers ``/status/<code>`` with that code and remembers the Host headers it saw."""

    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the standard library's name
        StatusHandler.hosts.append(self.headers.get("Host", ""))
        code = int(self.path.rsplit("/", 1)[-1])
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


@pytest.fixture
def status_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StatusHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_check_passes_on_200_and_sends_the_host_header(status_server: str) -> None:
    StatusHandler.hosts.clear()
    assert healthcheck.main([f"--http={status_server}/status/200", "--host-header=backend"]) == 0
    assert StatusHandler.hosts == ["backend"]


def test_http_check_fails_on_other_statuses_and_on_no_server(
    status_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert healthcheck.main([f"--http={status_server}/status/503"]) == 1
    assert healthcheck.main([f"--http={status_server}/status/301"]) == 1
    assert healthcheck.main([f"--http=http://127.0.0.1:{free_port()}/healthz"]) == 1
    assert "answered 503" in capsys.readouterr().err


def test_redis_check_authenticates_with_the_service_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with RedisServer(password="deploy-check-secret") as server:
        monkeypatch.delenv("REDIS_URL", raising=False)
        monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
        monkeypatch.setenv("REDIS_PORT", str(server.port))
        monkeypatch.setenv("REDIS_PASSWORD", "deploy-check-secret")
        assert healthcheck.main(["--redis"]) == 0
        monkeypatch.setenv("REDIS_PASSWORD", "wrong-secret")
        assert healthcheck.main(["--redis"]) == 1
        monkeypatch.delenv("REDIS_PASSWORD")
        assert healthcheck.main(["--redis"]) == 1


def test_pidfile_check_follows_the_process(tmp_path: Path) -> None:
    pidfile = tmp_path / "service.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    assert healthcheck.main([f"--pidfile={pidfile}"]) == 0
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait(timeout=30)
    pidfile.write_text(str(finished.pid))
    assert healthcheck.main([f"--pidfile={pidfile}"]) == 1
    pidfile.write_text("not a pid")
    assert healthcheck.main([f"--pidfile={pidfile}"]) == 1
    assert healthcheck.main([f"--pidfile={tmp_path / 'absent.pid'}"]) == 1


def test_healthcheck_requires_a_check() -> None:
    with pytest.raises(SystemExit) as stopped:
        healthcheck.main([])
    assert stopped.value.code == 2


def run_entrypoint(
    arguments: list[str], environment: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    base = {key: value for key, value in os.environ.items() if not key.startswith("METRICS_")}
    base.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *arguments],
        env={**base, "PATH": path, **environment},
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_entrypoint_syntax_and_missing_command() -> None:
    assert subprocess.run(["sh", "-n", str(ENTRYPOINT)], check=False).returncode == 0
    result = run_entrypoint([], {})
    assert result.returncode == 64
    assert "no command" in result.stderr


def test_entrypoint_refuses_the_root_folder_as_metrics_folder() -> None:
    result = run_entrypoint(["true"], {"PROMETHEUS_MULTIPROC_DIR": "/"})
    assert result.returncode == 64
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr


def test_entrypoint_clears_values_left_by_a_previous_run(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_123.db").write_bytes(b"stale")
    listing = "import os; print(sorted(os.listdir(os.environ['PROMETHEUS_MULTIPROC_DIR'])))"
    result = run_entrypoint(["python", "-c", listing], {"PROMETHEUS_MULTIPROC_DIR": str(folder)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


SERVICE_WITH_METRICS = r"""
import os, signal, time, urllib.request
from engines.observability import metrics

metrics.messages_processed_add(component="entrypoint-check", channel="forecast_updates", count=2)
url = f"http://127.0.0.1:{os.environ['METRICS_EXPORTER_PORT']}/metrics"
text = ""
for _ in range(300):
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            text = response.read().decode()
        break
    except OSError:
        time.sleep(0.1)
# The exporter the entrypoint started is a child of this process (the shell exec'd into it).
for entry in os.listdir("/proc"):
    if not entry.isdigit():
        continue
    try:
        with open(f"/proc/{entry}/stat") as stat:
            parent = int(stat.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        continue
    if parent == os.getpid():
        os.kill(int(entry), signal.SIGTERM)
print(os.environ["PROMETHEUS_MULTIPROC_DIR"])
print(text)
"""


def test_entrypoint_serves_the_service_metrics_on_the_exporter_port() -> None:
    try:
        result = run_entrypoint(
            ["python", "-c", SERVICE_WITH_METRICS],
            {"METRICS_EXPORTER_PORT": str(free_port()), "METRICS_EXPORTER_ADDRESS": "127.0.0.1"},
        )
    finally:
        shutil.rmtree("/tmp/ats-metrics", ignore_errors=True)
    assert result.returncode == 0, result.stderr
    folder, _, text = result.stdout.partition("\n")
    assert folder == "/tmp/ats-metrics"
    assert (
        'ats_messages_processed_total{channel="forecast_updates",component="entrypoint-check"} 2.0'
        in text
    )
