"""Defect 3: no password (nor any credential) reaches the log, in every log format."""

from __future__ import annotations

import importlib
import io
import logging
import logging.config
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from rest_framework.test import APIClient
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer

from backend.settings import logging as logging_settings
from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401

SECRET_PASSWORD = "Hunter2-very-secret-password"
LOG_FORMATS = ("console", "json")


@pytest.fixture
def capture_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], io.StringIO]]:
    """Configure logging as the settings do for a ``LOG_FORMAT``; return the captured stream."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level

    def configure(log_format: str) -> io.StringIO:
        monkeypatch.setenv("LOG_FORMAT", log_format)
        module = importlib.reload(logging_settings)
        stream = io.StringIO()
        config: dict[str, Any] = {
            **module.LOGGING,
            "handlers": {
                "console": {
                    "class": "logging.StreamHandler",
                    "formatter": "structured",
                    "stream": stream,
                }
            },
        }
        logging.config.dictConfig(config)
        return stream

    yield configure
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    importlib.reload(logging_settings)
    logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    structlog.reset_defaults()


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_login_error_never_logs_the_password(
    log_format: str,
    capture_log: Callable[[str], io.StringIO],
    make_user: Callable[..., Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = make_user("viewer")

    def broken_validate(self: Any, attrs: dict[str, Any]) -> Any:
        credentials = dict(attrs)  # a local holding the password, as a real bug's frame would
        raise RuntimeError(f"authentication backend exploded for {credentials['username']}")

    monkeypatch.setattr(TokenObtainPairSerializer, "validate", broken_validate)
    stream = capture_log(log_format)
    client = APIClient(raise_request_exception=False)
    response = client.post(
        "/api/auth/token/",
        {"username": user.get_username(), "password": SECRET_PASSWORD},
        format="json",
    )
    assert response.status_code == 500
    captured = stream.getvalue()
    assert "authentication backend exploded" in captured, captured  # the error was logged
    assert SECRET_PASSWORD not in captured, captured


@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_credential_keys_are_redacted_in_every_format(
    log_format: str, capture_log: Callable[[str], io.StringIO]
) -> None:
    stream = capture_log(log_format)
    logger = structlog.get_logger("tests.security")
    logger.warning(
        "login_attempt",
        username="alice",
        password=SECRET_PASSWORD,
        headers={"Authorization": f"Bearer {SECRET_PASSWORD}", "Accept": "json"},
        refresh_token=SECRET_PASSWORD,
        api_key=SECRET_PASSWORD,
        client_secret=SECRET_PASSWORD,
        body=[{"new_password": SECRET_PASSWORD}],
    )
    logging.getLogger("tests.security.stdlib").warning(
        "stdlib event", extra={"password": SECRET_PASSWORD}
    )
    captured = stream.getvalue()
    assert "login_attempt" in captured
    assert "alice" in captured
    assert SECRET_PASSWORD not in captured, captured
