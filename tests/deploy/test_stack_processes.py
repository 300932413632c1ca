"""The compose services, started as local processes, become healthy by their own health checks.

No Docker engine is needed: each application service's command runs through
``docker/entrypoint.sh`` with the environment compose would give it (``.env`` values, then the
service's ``environment`` interpolated), pointed at the real PostgreSQL server and a private,
password-protected Redis. Ports, ``/tmp`` and ``/app`` paths are mapped to free local ones.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.deploy.compose_model import (
    ENV_EXAMPLE,
    REPOSITORY_ROOT,
    application_services,
    command_of,
    environment_of,
    is_one_shot,
)
from tests.support.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:\?|:-)([^}]*))?\}")


class MissingVariable(ValueError):
    """A ``${VAR:?message}`` reference whose variable is unset or empty."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    """Resolve compose's ``${VAR}``, ``${VAR:-default}``, ``${VAR:?message}`` and ``$$``."""

    def resolve(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        value = variables.get(name, "")
        if operator == ":?" and not value:
            raise MissingVariable(f"required variable {name} is missing a value: {argument}")
        if operator == ":-" and not value:
            return argument
        return value

    return _REFERENCE.sub(resolve, text)


def env_file_values(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines of an env file (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_interpolation_follows_compose_rules() -> None:
    variables = {"SET": "value", "EMPTY": ""}
    assert interpolate("${SET},x", variables) == "value,x"
    assert interpolate("${EMPTY:-fallback} $${HOME}", variables) == "fallback ${HOME}"
    with pytest.raises(MissingVariable, match="set EMPTY in .env"):
        interpolate("${EMPTY:?set EMPTY in .env}", variables)
    backend = str(environment_of(application_services()["backend"]))
    everything_but_the_key = {"DB_NAME": "a", "DB_USER": "b", "DB_PASS": "c"}
    everything_but_the_key |= {"REDIS_PASSWORD": "d", "ALLOWED_HOSTS": "e", "AUDIT_CHAIN_KEY": "g"}
    with pytest.raises(MissingVariable, match="SECRET_KEY"):
        interpolate(backend, everything_but_the_key)
    assert "${" not in interpolate(backend, {**everything_but_the_key, "SECRET_KEY": "f"})


@dataclass
class LocalService:
    name: str
    argv: list[str]
    environment: dict[str, str]
    healthcheck: list[str] | None
    one_shot: bool


class Localizer:
    """Maps the container's ports, paths and host names to local ones for one service."""

    def __init__(self, service: str, root: Path, ports: Mapping[int, int], redis_port: int):
        self.scratch = root / service
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.ports = ports
        self.redis_port = redis_port
        self.data = root / "data"
        self.data.mkdir(exist_ok=True)

    def text(self, value: str) -> str:
        # The container's /tmp first: the repository itself may live under /tmp here.
        value = re.sub(r"(?<![\w/])/tmp/", f"{self.scratch}/", value)
        value = value.replace("/app/docker/", f"{REPOSITORY_ROOT}/docker/")
        value = value.replace("/app/data", str(self.data))
        value = value.replace("0.0.0.0", "127.0.0.1").replace("//backend:", "//127.0.0.1:")
        for container_port, local_port in self.ports.items():
            value = re.sub(rf"(?<=[:=]){container_port}\b", str(local_port), value)
        return value

    def environment(self, environment: Mapping[str, str]) -> dict[str, str]:
        result = {key: self.text(value) for key, value in environment.items()}
        for variable in ("METRICS_PORT", "METRICS_EXPORTER_PORT"):
            if result.get(variable):
                result[variable] = str(self.ports[9100])
        if result.get("METRICS_EXPORTER_PORT"):
            # In a container /tmp is the service's own; here each service gets its own folder,
            # or the entrypoints would clear each other's metric files.
            result.setdefault("PROMETHEUS_MULTIPROC_DIR", str(self.scratch / "ats-metrics"))
        if "DB_HOST" in result:
            result["DB_HOST"] = "127.0.0.1"
        if "REDIS_HOST" in result:
            result.update(REDIS_HOST="127.0.0.1", REDIS_PORT=str(self.redis_port))
        return result


def local_services(
    root: Path, variables: Mapping[str, str], redis_port: int
) -> dict[str, LocalService]:
    shared_ports = {8000: free_port(), 8501: free_port()}
    env_file = {**env_file_values(ENV_EXAMPLE.read_text()), **variables}
    base = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": str(root / "home"),
        "LANG": "C.UTF-8",
        "HOSTNAME": socket.gethostname(),
    }
    (root / "home").mkdir(exist_ok=True)
    result: dict[str, LocalService] = {}
    for name, service in application_services().items():
        localizer = Localizer(name, root, {**shared_ports, 9100: free_port()}, redis_port)
        environment = {
            key: interpolate(value, variables) for key, value in environment_of(service).items()
        }
        healthcheck: list[str] | None = None
        if "test" in service.get("healthcheck", {}):
            test = [interpolate(str(part), variables) for part in service["healthcheck"]["test"]]
            if test[0] == "CMD":
                healthcheck = [localizer.text(part) for part in test[1:]]
            else:
                healthcheck = ["sh", "-c", localizer.text(" ".join(test[1:]))]
        result[name] = LocalService(
            name=name,
            argv=[localizer.text(interpolate(part, variables)) for part in command_of(service)],
            # The .env file's values are localized too: a port or folder it sets for every
            # container (METRICS_EXPORTER_PORT) must not be shared by the processes here.
            environment={**base, **localizer.environment({**env_file, **environment})},
            healthcheck=healthcheck,
            one_shot=is_one_shot(service),
        )
    return result


@pytest.fixture
def database_name() -> Iterator[str]:
    name = f"ats_deploy_{uuid.uuid4().hex[:12]}"
    connection = psycopg2.connect(dbname="postgres", **POSTGRES)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield name
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def start(service: LocalService, logs: Path) -> subprocess.Popen[bytes]:
    log = (logs / f"{service.name}.log").open("wb")
    return subprocess.Popen(
        ["sh", str(REPOSITORY_ROOT / "docker" / "entrypoint.sh"), *service.argv],
        env=service.environment,
        cwd=REPOSITORY_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a started service and the exporter the entrypoint started beside it."""
    for signal_number, wait_seconds in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_seconds)
            time.sleep(0.2)
        except subprocess.TimeoutExpired:
            continue


def healthy(service: LocalService) -> tuple[bool, str]:
    assert service.healthcheck is not None
    try:
        result = subprocess.run(
            service.healthcheck,
            env=service.environment,
            cwd=REPOSITORY_ROOT,
            capture_output=True,
            text=True,
            timeout=45,
        )
    except subprocess.TimeoutExpired:
        return False, "health check timed out"
    return result.returncode == 0, result.stderr[-500:]


def log_tail(logs: Path, name: str) -> str:
    path = logs / f"{name}.log"
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.mark.timeout(600)
def test_every_service_starts_and_passes_its_health_check(
    tmp_path: Path, database_name: str
) -> None:
    password = secrets.token_urlsafe(16)
    variables = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "AUDIT_CHAIN_KEY": secrets.token_urlsafe(48),
        "DB_NAME": database_name,
        "DB_USER": POSTGRES["user"],
        "DB_PASS": "ignored-by-trust-authentication",
        "REDIS_PASSWORD": password,
        "ALLOWED_HOSTS": "localhost",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    started: list[subprocess.Popen[bytes]] = []
    with RedisServer(password=password) as redis_server:
        services = local_services(tmp_path, variables, redis_server.port)
        try:
            migrate = start(services["migrate"], logs)
            started.append(migrate)
            assert migrate.wait(timeout=180) == 0, log_tail(logs, "migrate")

            long_running = {name: s for name, s in services.items() if not s.one_shot}
            processes = {name: start(service, logs) for name, service in long_running.items()}
            started += processes.values()

            pending: dict[str, Any] = dict(long_running)
            reasons: dict[str, str] = {}
            deadline = time.monotonic() + 150
            while pending and time.monotonic() < deadline:
                for name in list(pending):
                    exited = processes[name].poll()
                    assert exited is None, f"{name} exited with {exited}:\n{log_tail(logs, name)}"
                    ok, reason = healthy(long_running[name])
                    if ok:
                        del pending[name]
                    else:
                        reasons[name] = reason
                time.sleep(1)
            assert not pending, {
                name: (reasons.get(name), log_tail(logs, name)) for name in pending
            }
        finally:
            for process in reversed(started):
                stop(process)
