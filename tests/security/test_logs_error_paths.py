"""No credential reaches the log on any error path of the API, in every log format.

Each request carries the same secret where a careless client would put one (a password in
the body, a token in the body or the Authorization header) and fails a different way:
malformed body, oversized body, wrong password, throttled login, forged token, server
error. The log is captured as the settings configure it for ``LOG_FORMAT``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401
from tests.security.test_logs_secrets import LOG_FORMATS, SECRET_PASSWORD, capture_log  # noqa: F401

TOKEN_PATH = "/api/auth/token/"


def _malformed(client: APIClient, username: str) -> Any:
    body = f'{{"username": "{username}", "password": "{SECRET_PASSWORD}", '.encode()
    return client.generic("POST", TOKEN_PATH, body, content_type="application/json")


def _oversized(client: APIClient, username: str) -> Any:
    padding = "x" * (3 * 1024 * 1024)
    return client.post(
        TOKEN_PATH,
        {"username": username, "password": SECRET_PASSWORD, "padding": padding},
        format="json",
    )


def _wrong_password(client: APIClient, username: str) -> Any:
    return client.post(
        TOKEN_PATH, {"username": username, "password": SECRET_PASSWORD}, format="json"
    )


def _forged_token(client: APIClient, username: str) -> Any:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {SECRET_PASSWORD}")
    return client.get("/api/forecasts/")


def _refresh_garbage(client: APIClient, username: str) -> Any:
    return client.post("/api/auth/token/refresh/", {"refresh": SECRET_PASSWORD}, format="json")


PATHS: dict[str, tuple[Callable[[APIClient, str], Any], set[int]]] = {
    "malformed_body": (_malformed, {400}),
    "oversized_body": (_oversized, {413}),
    "wrong_password": (_wrong_password, {401}),
    "forged_token": (_forged_token, {401}),
    "refresh_garbage": (_refresh_garbage, {401}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", LOG_FORMATS)
@pytest.mark.parametrize("path", sorted(PATHS))
def test_error_path_never_logs_the_secret(
    path: str,
    log_format: str,
    capture_log: Callable[[str], io.StringIO],  # noqa: F811
    make_user: Callable[..., Any],  # noqa: F811
) -> None:
    user = make_user("viewer")
    stream = capture_log(log_format)
    request, statuses = PATHS[path]
    response = request(APIClient(raise_request_exception=False), user.get_username())
    assert response.status_code in statuses, response.content
    assert SECRET_PASSWORD not in stream.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", LOG_FORMATS)
def test_throttled_login_never_logs_the_secret(
    log_format: str,
    capture_log: Callable[[str], io.StringIO],  # noqa: F811
    make_user: Callable[..., Any],  # noqa: F811
) -> None:
    user = make_user("viewer")
    stream = capture_log(log_format)
    client = APIClient(raise_request_exception=False)
    with override_settings(LOGIN_THROTTLE_RATES={"username": "2/min", "address": "1000/min"}):
        statuses = [_wrong_password(client, user.get_username()).status_code for _ in range(4)]
    assert 429 in statuses
    captured = stream.getvalue()
    assert "Too Many Requests" in captured  # the refusal was logged
    assert SECRET_PASSWORD not in captured
