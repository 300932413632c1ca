"""docker-compose.yml: valid against the Compose specification, and built as production needs."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.compose_model import (
    COMPOSE_FILE,
    LEAN_LIVE_OVERRIDE,
    REPOSITORY_ROOT,
    application_services,
    command_of,
    compose,
    env_example_variables,
    environment_of,
    interpolated_variables,
    is_one_shot,
    services,
)

SCHEMA_FILE = Path(__file__).parent / "compose_spec" / "compose-spec.json"
RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}
REQUIRED_SECRETS = {"SECRET_KEY", "DB_PASS", "REDIS_PASSWORD"}


def compose_validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("path", [COMPOSE_FILE, LEAN_LIVE_OVERRIDE], ids=lambda p: p.name)
def test_compose_files_match_the_compose_specification(path: Path) -> None:
    errors = sorted(
        compose_validator().iter_errors(yaml.safe_load(path.read_text())),
        key=lambda error: list(error.absolute_path),
    )
    assert not errors, "\n".join(
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in errors
    )


def test_the_schema_rejects_a_misspelt_service_key() -> None:
    broken = copy.deepcopy(compose())
    broken["services"]["backend"]["comand"] = broken["services"]["backend"].pop("command")
    assert list(compose_validator().iter_errors(broken))


def test_every_interpolated_variable_is_listed_in_env_example() -> None:
    used = interpolated_variables(COMPOSE_FILE.read_text())
    assert used >= REQUIRED_SECRETS
    missing = used - env_example_variables()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_required_secrets_stop_compose_when_missing() -> None:
    text = COMPOSE_FILE.read_text()
    for name in REQUIRED_SECRETS:
        references = re.findall(r"(?<!\$)\$\{" + name + r"([^}]*)\}", text)
        assert references, name
        assert all(reference.startswith(":?") for reference in references), (name, references)


def test_long_running_services_have_health_checks_and_restart_policies() -> None:
    long_running = {name: s for name, s in services().items() if not is_one_shot(s)}
    assert {"db", "redis", "backend", "worker", "beat", "risk-engine", "recorder", "dashboard"} <= (
        set(long_running)
    )
    for name, service in long_running.items():
        assert service.get("restart") in RESTART_POLICIES, name
        healthcheck = service.get("healthcheck")
        assert healthcheck, name
        assert not healthcheck.get("disable"), name
        assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}, name
        assert len(healthcheck["test"]) > 1, name
        for key in ("interval", "timeout", "retries"):
            assert key in healthcheck, (name, key)


def test_migrations_run_once_before_the_services_that_use_the_database() -> None:
    migrate = services()["migrate"]
    assert is_one_shot(migrate)
    assert command_of(migrate)[-2:] == ["migrate", "--noinput"]
    for name, service in application_services().items():
        if name in {"migrate", "dashboard"}:
            continue
        condition = service["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully", name
        assert service["depends_on"]["db"]["condition"] == "service_healthy", name
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name


def test_application_services_drop_every_capability() -> None:
    for name, service in application_services().items():
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
    assert services()["migrate"]["healthcheck"] == {"disable": True}


def test_application_services_take_configuration_from_env_file() -> None:
    for name, service in application_services().items():
        env_files = service["env_file"]
        paths = [item["path"] if isinstance(item, dict) else item for item in env_files]
        assert paths == [".env"], name
        environment = environment_of(service)
        assert environment["DJANGO_SETTINGS_MODULE"] == "backend.settings.production", name
        assert environment["DB_HOST"] == "db", name
        assert environment["REDIS_HOST"] == "redis", name
        # A URL form in .env would win over the compose addresses: they are blanked.
        assert environment["DATABASE_URL"] == environment["REDIS_URL"] == "", name


def test_database_is_timescaledb_on_a_pinned_postgres_major() -> None:
    image = services()["db"]["image"]
    assert re.fullmatch(r"timescale/timescaledb:\d+\.\d+\.\d+-pg1[56]", image), image


def test_redis_requires_a_password_and_its_health_check_authenticates() -> None:
    redis_service = services()["redis"]
    command = " ".join(command_of(redis_service))
    assert '--requirepass "$${REDIS_PASSWORD}"' in command
    assert environment_of(redis_service)["REDIS_PASSWORD"].startswith("${REDIS_PASSWORD:?")
    test = " ".join(redis_service["healthcheck"]["test"])
    assert "REDISCLI_AUTH" in test
    assert "PONG" in test


def test_named_volumes_are_declared_and_ports_bind_to_localhost() -> None:
    declared = set(compose()["volumes"])
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith((".", "/")):
                assert (REPOSITORY_ROOT / source).exists(), (name, source)
            else:
                assert source in declared, (name, source)
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (name, port)


def test_monitoring_services_start_only_with_their_profile() -> None:
    profiled = {name for name, service in services().items() if service.get("profiles")}
    assert profiled == {"prometheus", "grafana"}
    for name in profiled:
        assert services()[name]["profiles"] == ["monitoring"]


def test_lean_live_override_puts_redis_on_the_lean_cli_network() -> None:
    override: dict[str, Any] = yaml.safe_load(LEAN_LIVE_OVERRIDE.read_text())
    assert override["networks"]["lean_cli"] == {"name": "lean_cli", "external": True}
    networks = override["services"]["redis"]["networks"]
    assert "default" in networks
    assert networks["lean_cli"]["aliases"] == ["ats-redis"]


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=30
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not _docker_compose_available(), reason="the docker client with its compose plugin is absent"
)
def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    environment_file = tmp_path / ".env"
    environment_file.write_text(
        (REPOSITORY_ROOT / ".env.example").read_text() + "\nREDIS_PASSWORD=compose-config-check\n"
    )
    result = subprocess.run(
        [
            "docker",
            "compose",
            "--project-directory",
            str(REPOSITORY_ROOT),
            "--env-file",
            str(environment_file),
            "-f",
            str(COMPOSE_FILE),
            "-f",
            str(LEAN_LIVE_OVERRIDE),
            "--profile",
            "monitoring",
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
