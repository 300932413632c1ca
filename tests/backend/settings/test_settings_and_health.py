"""Settings from the environment, production checks, manage.py from anywhere, /healthz."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backend.settings.cache import redis_url_from_environment
from backend.settings.database import database_from_environment

REPOSITORY = Path(__file__).resolve().parents[3]
MANAGE = REPOSITORY / "backend" / "manage.py"


def _clean_environment(**overrides: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "DATABASE_", "REDIS_", "DJANGO_", "SECRET_KEY", "DEBUG"))
    }
    environment.update(overrides)
    return environment


def test_database_url_wins_over_db_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://someone:pw@db.example:6543/trading")
    monkeypatch.setenv("DB_HOST", "ignored.example")
    database = database_from_environment(tmp_path)
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.example", 6543, "trading")
    assert database["ENGINE"] == "django.db.backends.postgresql"


def test_db_variables_select_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in {
        "DB_HOST": "pg",
        "DB_PORT": "5433",
        "DB_NAME": "n",
        "DB_USER": "u",
        "DB_PASS": "p",
    }.items():
        monkeypatch.setenv(name, value)
    database = database_from_environment(tmp_path)
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["USER"], database["PASSWORD"]) == (
        "pg",
        "5433",
        "u",
        "p",
    )


def test_sqlite_without_database_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "DB_HOST", "DB_SQLITE_PATH"):
        monkeypatch.delenv(name, raising=False)
    database = database_from_environment(tmp_path)
    assert database == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "db.sqlite3"),
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }


def test_redis_url_from_parts_with_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("REDIS_HOST", "cache")
    monkeypatch.setenv("REDIS_PORT", "6390")
    monkeypatch.setenv("REDIS_PASSWORD", "p@ss word")
    monkeypatch.setenv("REDIS_DB", "2")
    assert redis_url_from_environment() == "redis://:p%40ss%20word@cache:6390/2"


def test_production_settings_pass_check_deploy_from_another_directory(tmp_path: Path) -> None:
    environment = _clean_environment(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="trading.example.com",
        DB_SQLITE_PATH=str(tmp_path / "check.sqlite3"),
    )
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_weak_secret(tmp_path: Path) -> None:
    environment = _clean_environment(
        DJANGO_SETTINGS_MODULE="backend.settings.production",
        SECRET_KEY="change-me",
        DB_SQLITE_PATH=str(tmp_path / "check.sqlite3"),
    )
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_is_off_unless_asked(tmp_path: Path) -> None:
    code = "from django.conf import settings; import django; django.setup(); print(settings.DEBUG)"
    base = _clean_environment(
        DJANGO_SETTINGS_MODULE="backend.settings.base", DB_SQLITE_PATH=str(tmp_path / "x.sqlite3")
    )
    off = subprocess.run(
        [sys.executable, "-c", code],
        env=base,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    on = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DEBUG": "1"},
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (off.stdout.strip(), on.stdout.strip()) == ("False", "True")


@pytest.mark.django_db
def test_healthz_reports_database_and_redis(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "redis": True}}


@pytest.mark.django_db
def test_healthz_is_503_when_redis_is_unreachable(client: Any, settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "redis": False}


def test_embedded_sqlite_migrate_createsuperuser_and_ingest(tmp_path: Path) -> None:
    environment = _clean_environment(
        DJANGO_SETTINGS_MODULE="backend.settings.development", DB_SQLITE_PATH=str(tmp_path / "embedded.sqlite3"),
        DJANGO_SUPERUSER_USERNAME="admin", DJANGO_SUPERUSER_PASSWORD="a-long-password-42",
        DJANGO_SUPERUSER_EMAIL="admin@example.com", LOG_LEVEL="WARNING",
    )  # fmt: skip

    def manage(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(MANAGE), *arguments], cwd=tmp_path, env=environment,
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip

    assert manage("migrate", "--noinput").returncode == 0
    created = manage("createsuperuser", "--noinput")
    assert created.returncode == 0, created.stderr
    script = (
        "from signal_bus.codec import decode_document\n"
        "from backend.forecasts.services import forecast_messages_store\n"
        "from backend.forecasts.models import Forecast, Signal\n"
        "doc = {'asset': 'BTCUSD', 'horizon': '4h', 'prediction': 0.0082, 'confidence': 0.76, 'timestamp': '2025-04-05T12:00:00Z'}\n"
        "m = decode_document(doc, 'forecast_updates')\n"
        "forecast_messages_store(messages=[m, m])\n"
        "print(Forecast.objects.count(), Signal.objects.get().active)\n"
    )
    result = manage("shell", "-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["1", "True"]


CONCURRENT_RECORDING = """
from datetime import UTC, datetime, timedelta
from backend.embedded import messages_record
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import ForecastUpdate, PortfolioSnapshot, RiskUpdate
start = datetime(2025, 1, 1, tzinfo=UTC)
messages = []
for day in range(1500):
    now = start + timedelta(days=day)
    for asset in ("A", "B", "C", "D"):
        messages.append(ForecastUpdate.create(asset=asset, horizon="1d", prediction=0.01,
            confidence=0.6, now=now, model="lightgbm", model_version=f"v{day // 30}"))
    messages.append(RiskUpdate.create(risk_factor=0.8, now=now, state="active", reasons=(), inputs={}))
    messages.append(PortfolioSnapshot.create(equity=1e5, cash=5e4, now=now))
result = messages_record(messages, bus=InMemoryBus(), timeout_s=120)
print(sum(result.processed.values()), sum(result.handler_failures.values()))
"""


def test_embedded_sqlite_records_channels_concurrently_without_lock_errors(
    tmp_path: Path,
) -> None:
    # One recorder thread per channel writes to one SQLite file; the forecast store reads
    # (model versions) before it writes. Deferred transactions failed such batches with
    # "database is locked" (retried, but logged as failures); none may fail now.
    environment = _clean_environment(
        DJANGO_SETTINGS_MODULE="backend.settings.development",
        DB_SQLITE_PATH=str(tmp_path / "concurrent.sqlite3"),
        LOG_LEVEL="WARNING",
    )
    run = {"cwd": tmp_path, "env": environment, "capture_output": True, "text": True}
    migrated = subprocess.run(
        [sys.executable, str(MANAGE), "migrate", "--noinput"], **run, timeout=180, check=False
    )
    assert migrated.returncode == 0, migrated.stderr
    result = subprocess.run(
        [sys.executable, str(MANAGE), "shell", "-c", CONCURRENT_RECORDING],
        **run,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1].split() == ["9000", "0"]
    assert "database is locked" not in result.stderr
