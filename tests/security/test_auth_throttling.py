"""Defect 5: password guessing is throttled (per user name and per address), failures are counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import caches
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from backend.common.monitoring.metrics import HTTP_REGISTRY
from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401

PASSWORD = "a-test-password-1"  # what tests/backend/conftest.py's make_user sets

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle_cache(settings: Any) -> Iterator[None]:
    cache = caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]
    cache.clear()
    yield
    cache.clear()


def _login(username: str, password: str, address: str = "203.0.113.7") -> Any:
    return APIClient(REMOTE_ADDR=address).post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def _failures(reason: str) -> float:
    return HTTP_REGISTRY.get_sample_value("ats_login_failures_total", {"reason": reason}) or 0.0


def test_guessing_one_user_name_is_429_with_retry_after_then_right_password_refused(
    make_user: Callable[..., Any],  # noqa: F811
    settings: Any,
) -> None:
    settings.LOGIN_THROTTLE_RATES = {"username": "5/min", "address": "1000/min"}
    user = make_user("viewer")
    name = user.get_username()
    answers = [_login(name, f"wrong-{index}", address=f"198.51.100.{index}") for index in range(5)]
    assert [answer.status_code for answer in answers] == [401] * 5
    throttled = _login(name, PASSWORD, address="198.51.100.200")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    # Other user names are not affected.
    other = make_user("viewer")
    assert _login(other.get_username(), PASSWORD).status_code == 200


def test_user_name_throttle_ignores_case(make_user: Callable[..., Any], settings: Any) -> None:  # noqa: F811
    settings.LOGIN_THROTTLE_RATES = {"username": "2/min", "address": "1000/min"}
    make_user("viewer", username="casey")
    assert _login("casey", "wrong").status_code == 401
    assert _login("CASEY", "wrong").status_code == 401
    assert _login("Casey", PASSWORD).status_code == 429


def test_guessing_from_one_address_is_429(make_user: Callable[..., Any], settings: Any) -> None:  # noqa: F811
    settings.LOGIN_THROTTLE_RATES = {"username": "1000/min", "address": "3/min"}
    users = [make_user("viewer") for _ in range(4)]
    answers = [_login(user.get_username(), "wrong") for user in users[:3]]
    assert [answer.status_code for answer in answers] == [401] * 3
    throttled = _login(users[3].get_username(), PASSWORD)
    assert throttled.status_code == 429
    assert "Retry-After" in throttled
    assert _login(users[3].get_username(), PASSWORD, address="192.0.2.55").status_code == 200


def test_refresh_endpoint_is_throttled_per_address(settings: Any) -> None:
    settings.LOGIN_THROTTLE_RATES = {"username": "1000/min", "address": "2/min"}
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    codes = [
        client.post("/api/auth/token/refresh/", {"refresh": "x"}, format="json").status_code
        for _ in range(3)
    ]
    assert codes == [401, 401, 429]


def test_failed_logins_are_counted_and_audited(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    before = _failures("invalid_credentials")
    assert _login(user.get_username(), "wrong-password").status_code == 401
    assert _failures("invalid_credentials") == before + 1
    event = AuditEvent.objects.get(action="login_failed")
    assert event.target == f"user:{user.get_username()}"
    assert event.payload["address"] == "203.0.113.7"
    assert "wrong-password" not in str(event.payload)


def test_throttled_logins_are_counted(make_user: Callable[..., Any], settings: Any) -> None:  # noqa: F811
    settings.LOGIN_THROTTLE_RATES = {"username": "1/min", "address": "1000/min"}
    user = make_user("viewer")
    before = _failures("throttled")
    _login(user.get_username(), "wrong")
    assert _login(user.get_username(), "wrong").status_code == 429
    assert _failures("throttled") == before + 1


def test_default_rates_let_the_suite_log_in_often(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    codes = {_login(user.get_username(), PASSWORD).status_code for _ in range(20)}
    assert codes == {200}


def test_counts_are_shared_through_redis(
    make_user: Callable[..., Any],  # noqa: F811
    settings: Any,
    bus_namespace: str,  # noqa: F811 - its Redis keys are deleted afterwards
) -> None:
    settings.CACHES = {
        **settings.CACHES,
        settings.LOGIN_THROTTLE_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"{bus_namespace}:throttle",
        },
    }
    settings.LOGIN_THROTTLE_RATES = {"username": "2/min", "address": "1000/min"}
    user = make_user("viewer")
    assert _login(user.get_username(), "wrong").status_code == 401
    assert _login(user.get_username(), "wrong").status_code == 401
    assert _login(user.get_username(), PASSWORD).status_code == 429
