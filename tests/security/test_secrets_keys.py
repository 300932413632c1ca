"""Defect 7: weak or placeholder secrets are refused; development keys are per installation."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from rest_framework.test import APIClient

from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401

REPOSITORY = Path(__file__).resolve().parents[2]
MANAGE = REPOSITORY / "backend" / "manage.py"
# The development key that used to be written in the repository.
COMMITTED_DEVELOPMENT_KEY = "insecure-development-key-change-me"


def _environment(**overrides: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("DB_", "DATABASE_", "REDIS_", "DJANGO_", "SECRET_KEY", "AUDIT_CHAIN_", "ATS_LOCAL_")
        )
    }
    environment.update(overrides)
    return environment


def _print_setting(
    name: str, environment: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    code = (
        f"import django; django.setup(); from django.conf import settings; print(settings.{name})"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


WEAK_KEYS = [
    "a" * 64,
    "0123456789" * 5,
    "Change-Me-" + "a" * 50,
    "CHANGE-ME-TO-A-LONG-RANDOM-STRING-" + "x" * 30,
    "change-me-to-a-long-random-string",
    "Insecure-Development-Key-" + "abcdefghijklmnopqrstuvwxyz0123456789",
    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
    "short-but-random-" + secrets.token_hex(8),
]


@pytest.mark.parametrize("weak", WEAK_KEYS)
def test_production_refuses_weak_and_placeholder_secret_keys(weak: str, tmp_path: Path) -> None:
    environment = _environment(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY=weak,
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(48),
        DB_SQLITE_PATH=str(tmp_path / "x.sqlite3"),
    )
    result = _print_setting("DEBUG", environment, REPOSITORY)
    assert result.returncode != 0, result.stdout
    assert "SECRET_KEY" in result.stderr
    assert weak not in result.stderr  # the refusal does not echo the secret


def test_production_accepts_a_random_secret_key(tmp_path: Path) -> None:
    environment = _environment(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(48),
        DB_SQLITE_PATH=str(tmp_path / "x.sqlite3"),
    )
    result = _print_setting("DEBUG", environment, REPOSITORY)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_development_key_is_random_per_installation_and_kept_locally(tmp_path: Path) -> None:
    first_file = tmp_path / "one" / "secrets.json"
    second_file = tmp_path / "two" / "secrets.json"

    def key_for(secrets_file: Path) -> str:
        environment = _environment(
            DJANGO_SETTINGS_MODULE="backend.settings.development",
            ATS_LOCAL_SECRETS_FILE=str(secrets_file),
            DB_SQLITE_PATH=str(tmp_path / "x.sqlite3"),
        )
        result = _print_setting("SECRET_KEY", environment, tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    first = key_for(first_file)
    assert first != COMMITTED_DEVELOPMENT_KEY
    assert len(first) >= 50
    assert key_for(first_file) == first  # kept: tokens survive a restart
    assert key_for(second_file) != first  # another installation, another key
    assert stat.S_IMODE(first_file.stat().st_mode) == 0o600
    assert first in first_file.read_text()


def test_no_secret_key_is_written_in_the_settings() -> None:
    settings_folder = REPOSITORY / "backend" / "settings"
    for module in settings_folder.glob("*.py"):
        assert COMMITTED_DEVELOPMENT_KEY not in module.read_text(), module


@pytest.mark.django_db
def test_token_forged_with_the_old_committed_key_is_refused(
    make_user: Callable[..., Any],  # noqa: F811
) -> None:
    user = make_user("operator")
    forged = jwt.encode(
        {
            "token_type": "access",
            "exp": 4_102_444_800,
            "iat": 1_700_000_000,
            "jti": secrets.token_hex(16),
            "user_id": str(user.pk),
        },
        COMMITTED_DEVELOPMENT_KEY,
        algorithm="HS256",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get("/api/auth/me/").status_code == 401
