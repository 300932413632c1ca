"""Every command docker-compose.yml runs, and every health check it uses, exists in the project."""

from __future__ import annotations

import importlib
import os
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from ats.cli.main import cli as ats_cli
from tests.deploy.compose_model import (
    IMAGE_WORKDIR,
    REPOSITORY_ROOT,
    application_services,
    command_of,
)

SHELL_NOISE = {">/dev/null", "2>&1", "|"}


def repository_path(path: str) -> Path:
    """Map a path inside the image (absolute under /app, or relative to it) to the repository."""
    if path.startswith(IMAGE_WORKDIR + "/"):
        path = path[len(IMAGE_WORKDIR) + 1 :]
    return REPOSITORY_ROOT / path


def positional(arguments: list[str]) -> list[str]:
    """Arguments before the first option."""
    words: list[str] = []
    for argument in arguments:
        if argument.startswith("-"):
            break
        words.append(argument)
    return words


def option_value(arguments: list[str], name: str) -> str | None:
    """The value of ``--name=value`` or ``--name value`` (or ``-A value``)."""
    for index, argument in enumerate(arguments):
        if argument.startswith(name + "="):
            return argument.split("=", 1)[1]
        if argument == name and index + 1 < len(arguments):
            return arguments[index + 1]
    return None


def check_ats(arguments: list[str]) -> None:
    path = positional(arguments)
    result = CliRunner().invoke(ats_cli, [*path, "--help"])
    assert result.exit_code == 0, f"ats {' '.join(path)}: {result.output}"
    command: click.Command = ats_cli
    for name in path:
        assert isinstance(command, click.Group), f"ats {' '.join(path)}: {name} is not a group"
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"ats has no command {' '.join(path)}"
        command = found
    assert not isinstance(command, click.Group), f"ats {' '.join(path)} is a group, not a command"


def check_python(arguments: list[str]) -> None:
    if arguments[0] == "-m":
        assert importlib.util.find_spec(arguments[1]) is not None, arguments[1]
        return
    script = repository_path(arguments[0])
    assert script.is_file(), script
    if script.name == "manage.py":
        from django.core.management import get_commands

        assert arguments[1] in get_commands(), f"manage.py has no command {arguments[1]!r}"
    if script.name == "healthcheck.py":
        help_run = subprocess.run(
            [sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=30
        )
        assert help_run.returncode == 0, help_run.stderr
        for argument in arguments[1:]:
            option = argument.split("=", 1)[0]
            assert option in help_run.stdout, f"healthcheck.py has no option {option}"


def check_celery(arguments: list[str]) -> None:
    from celery import Celery
    from celery.bin.celery import celery as celery_cli

    module_name = option_value(arguments, "-A")
    assert module_name is not None, arguments
    module = importlib.import_module(module_name)
    assert isinstance(module.app, Celery)
    subcommand = positional(arguments[2:])[0]
    assert subcommand in celery_cli.commands, f"celery has no subcommand {subcommand!r}"
    scheduler = option_value(arguments, "--scheduler")
    if scheduler is not None:
        module_path, _, attribute = scheduler.partition(":")
        assert hasattr(importlib.import_module(module_path), attribute), scheduler


def check_gunicorn(arguments: list[str], tmp_path: Path) -> None:
    module_name, _, attribute = arguments[0].partition(":")
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DB_HOST", "REDIS_URL"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(48),
        DB_SQLITE_PATH=str(tmp_path / "check.sqlite3"),
    )
    probe = (
        f"import {module_name} as target; "
        f"assert callable(getattr(target, {attribute or 'application'!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=environment,
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def check_streamlit(arguments: list[str]) -> None:
    from streamlit.web.cli import main as streamlit_cli

    assert arguments[0] in streamlit_cli.commands
    assert repository_path(arguments[1]).is_file(), arguments[1]


def check_command(argv: list[str], tmp_path: Path) -> None:
    """Fail unless ``argv`` names something the image can run."""
    program, arguments = argv[0], argv[1:]
    if program == "ats":
        check_ats(arguments)
    elif program == "python":
        check_python(arguments)
    elif program == "celery":
        check_celery(arguments)
    elif program == "gunicorn":
        check_gunicorn(arguments, tmp_path)
    elif program == "streamlit":
        check_streamlit(arguments)
    else:
        pytest.fail(f"no check for program {program!r} in {argv}")


def healthcheck_commands(service: dict[str, Any]) -> list[list[str]]:
    """The commands of a service's health check (a CMD-SHELL line split on ``&&``)."""
    test = [str(part) for part in service["healthcheck"]["test"]]
    if test[0] == "CMD":
        return [test[1:]]
    commands = []
    for part in " ".join(test[1:]).split("&&"):
        words = [
            word.replace("$${", "${")
            for word in shlex.split(part)
            if word not in SHELL_NOISE and "=" not in word.split("-", 1)[0]
        ]
        commands.append(words)
    return commands


SERVICES = sorted(application_services())


@pytest.mark.parametrize("service_name", SERVICES)
def test_service_command_exists(service_name: str, tmp_path: Path) -> None:
    check_command(command_of(application_services()[service_name]), tmp_path)


@pytest.mark.parametrize(
    "service_name",
    [name for name in SERVICES if "test" in application_services()[name].get("healthcheck", {})],
)
def test_service_health_check_commands_exist(service_name: str, tmp_path: Path) -> None:
    for argv in healthcheck_commands(application_services()[service_name]):
        check_command(argv, tmp_path)


def test_every_long_running_engine_is_deployed() -> None:
    commands = {" ".join(command_of(service)[:4]) for service in application_services().values()}
    assert "ats risk run" in commands
    assert "python backend/manage.py record_streams" in commands
    assert "celery -A backend.celery_app worker" in commands
    assert "celery -A backend.celery_app beat" in commands


def test_command_checks_catch_missing_commands(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        check_command(["ats", "risk", "no-such-command"], tmp_path)
    with pytest.raises(AssertionError):
        check_command(["python", "backend/manage.py", "no_such_command"], tmp_path)
    with pytest.raises(AssertionError):
        check_command(["celery", "-A", "backend.celery_app", "no-such-subcommand"], tmp_path)
    with pytest.raises(AssertionError):
        check_command(["streamlit", "run", "dashboard/missing.py"], tmp_path)
