"""Read the deployment files the tests check: compose, .env.example, the Dockerfile."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPOSITORY_ROOT / "docker-compose.yml"
LEAN_LIVE_OVERRIDE = REPOSITORY_ROOT / "docker" / "compose.lean-live.yml"
ENV_EXAMPLE = REPOSITORY_ROOT / ".env.example"
DOCKERFILE = REPOSITORY_ROOT / "docker" / "Dockerfile"
DOCKERIGNORE = REPOSITORY_ROOT / ".dockerignore"
APPLICATION_IMAGE = "adaptive-trading-system:latest"
# Where the Dockerfile puts the repository inside the image.
IMAGE_WORKDIR = "/app"

# ${NAME}, ${NAME:-default}, ${NAME:?message}, ${NAME-x}, ${NAME?x}, $NAME; not $${...}.
_INTERPOLATION = re.compile(
    r"(?<!\$)\$(?:\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}|([A-Za-z_][A-Za-z0-9_]*))"
)
_ENV_ASSIGNMENT = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=")


@cache
def compose() -> dict[str, Any]:
    """docker-compose.yml as YAML data (anchors and merge keys resolved)."""
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


def services() -> dict[str, dict[str, Any]]:
    """The services of docker-compose.yml."""
    result = compose()["services"]
    assert isinstance(result, dict)
    return result


def application_services() -> dict[str, dict[str, Any]]:
    """Services running the project's image."""
    return {
        name: service
        for name, service in services().items()
        if service.get("image") == APPLICATION_IMAGE
    }


def is_one_shot(service: dict[str, Any]) -> bool:
    """A service that runs to completion (``restart: "no"``)."""
    return str(service.get("restart", "no")) == "no"


def command_of(service: dict[str, Any]) -> list[str]:
    """A service's command as a list (compose's string form split on whitespace)."""
    command = service.get("command")
    if isinstance(command, str):
        return command.split()
    assert isinstance(command, list), f"no command: {service}"
    return [str(part) for part in command]


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    """A service's ``environment`` mapping (list form converted)."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        pairs = (item.split("=", 1) for item in environment)
        return {pair[0]: pair[1] if len(pair) > 1 else "" for pair in pairs}
    return {str(key): str(value) for key, value in environment.items()}


def interpolated_variables(text: str) -> set[str]:
    """Names of the variables compose interpolates in ``text`` (``$$`` escapes excluded)."""
    names: set[str] = set()
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for braced, bare in _INTERPOLATION.findall(line):
            names.add(braced or bare)
    return names


def env_example_variables() -> set[str]:
    """Every variable .env.example lists, including commented-out alternatives."""
    return {
        match.group(1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (match := _ENV_ASSIGNMENT.match(line))
    }
