"""docker-compose.yml: valid against the Compose specification, and built as production needs."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose

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

RESTART_POLICIES = {"always", "unless-stopped", "on-failure"}
REQUIRED_SECRETS = {"SECRET_KEY", "AUDIT_CHAIN_KEY", "DB_PASS", "REDIS_PASSWORD"}


def validate_compose(document: dict[str, Any]) -> None:
    """Parse ``document`` with a validating Compose Specification parser (raises ``ValueError``).

    YAML anchors and merge keys are resolved first, as Compose itself does.
    """
    PyCompose.from_yaml(yaml.safe_dump(document))


@pytest.mark.parametrize("path", [COMPOSE_FILE, LEAN_LIVE_OVERRIDE], ids=lambda p: p.name)
def test_compose_files_match_the_compose_specification(path: Path) -> None:
    validate_compose(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize(
    ("service_key", "value"),
    [("comand", None), ("restart", "sometimes"), ("healthcheks", {"test": ["CMD", "true"]})],
)
def test_the_validation_rejects_a_broken_service(service_key: str, value: Any) -> None:
    broken = copy.deepcopy(compose())
    backend = broken["services"]["backend"]
    backend[service_key] = backend.pop("command") if value is None else value
    with pytest.raises(ValueError):
        validate_compose(broken)


def test_every_interpolated_variable_is_listed_in_env_example() -> None:
    used = interpolated_variables(COMPOSE_FILE.read_text())
    assert used >= REQUIRED_SECRETS
    missing = used - env_example_variables()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_required_secrets_stop_compose_when_missing() -> None:
    text = COMPOSE_FILE.read_text()
    for name in REQUIRED_SECRETS:
        references = re.findall(r"(?<!\$)\$\{" + name + r"((?:[:?-][^}]*)?)\}", text)
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
