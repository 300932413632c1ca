"""Defect 6: tokens can be revoked (logout, refresh rotation, password change, role removal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from backend.audit.models import AuditEvent
from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401

PASSWORD = "a-test-password-1"  # what tests/backend/conftest.py's make_user sets

pytestmark = pytest.mark.django_db


def _login(username: str, password: str = PASSWORD) -> dict[str, str]:
    response = APIClient().post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _me(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/auth/me/").status_code


def _refresh(refresh: str) -> Any:
    return APIClient().post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")


def test_logout_blacklists_the_refresh_token(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    tokens = _login(user.get_username())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    response = client.post("/api/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    assert _refresh(tokens["refresh"]).status_code == 401
    assert AuditEvent.objects.filter(action="logout", target=f"user:{user.get_username()}").exists()


def test_logout_everywhere_revokes_access_tokens_too(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    first, second = _login(user.get_username()), _login(user.get_username())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    response = client.post(
        "/api/auth/logout/", {"refresh": first["refresh"], "everywhere": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert _me(first["access"]) == 401
    assert _me(second["access"]) == 401
    assert _refresh(second["refresh"]).status_code == 401
    assert _me(_login(user.get_username())["access"]) == 200  # a new login works


def test_logout_refuses_someone_elses_refresh_token(make_user: Callable[..., Any]) -> None:  # noqa: F811
    alice, bob = make_user("viewer"), make_user("viewer")
    alice_tokens, bob_tokens = _login(alice.get_username()), _login(bob.get_username())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {alice_tokens['access']}")
    response = client.post("/api/auth/logout/", {"refresh": bob_tokens["refresh"]}, format="json")
    assert response.status_code == 400
    assert _refresh(bob_tokens["refresh"]).status_code == 200


def test_logout_needs_a_valid_refresh_token(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    tokens = _login(user.get_username())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.post("/api/auth/logout/", {"refresh": "nope"}, format="json").status_code == 400
    assert client.post("/api/auth/logout/", {}, format="json").status_code == 400
    assert APIClient().post("/api/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 401


def test_a_refresh_token_works_once_and_is_rotated(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    tokens = _login(user.get_username())
    first = _refresh(tokens["refresh"])
    assert first.status_code == 200, first.content
    assert first.json()["refresh"] != tokens["refresh"]
    assert _me(first.json()["access"]) == 200
    assert _refresh(tokens["refresh"]).status_code == 401  # used again: refused
    assert _refresh(first.json()["refresh"]).status_code == 200  # the rotated one works


def test_password_change_invalidates_outstanding_tokens(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("operator")
    tokens = _login(user.get_username())
    assert _me(tokens["access"]) == 200
    user.set_password("another-password-42")
    user.save()
    assert _me(tokens["access"]) == 401
    assert _refresh(tokens["refresh"]).status_code == 401
    assert _me(_login(user.get_username(), "another-password-42")["access"]) == 200
    assert AuditEvent.objects.filter(
        action="tokens_revoked", target=f"user:{user.get_username()}"
    ).exists()


def test_saving_a_user_without_a_password_change_keeps_tokens(
    make_user: Callable[..., Any],  # noqa: F811
) -> None:
    user = make_user("operator")
    tokens = _login(user.get_username())
    user.first_name = "Ada"
    user.save()
    assert _me(tokens["access"]) == 200
    assert _refresh(tokens["refresh"]).status_code == 200


@pytest.mark.parametrize("how", ["user_remove", "user_clear", "group_remove", "group_clear", "set"])
def test_role_removal_invalidates_outstanding_tokens(
    make_user: Callable[..., Any],  # noqa: F811
    how: str,
) -> None:
    user = make_user("operator", "viewer")
    tokens = _login(user.get_username())
    operator = Group.objects.get(name="operator")
    if how == "user_remove":
        user.groups.remove(operator)
    elif how == "user_clear":
        user.groups.clear()
    elif how == "group_remove":
        operator.user_set.remove(user)
    elif how == "group_clear":
        operator.user_set.clear()
    else:
        user.groups.set([Group.objects.get(name="viewer")])
    assert _me(tokens["access"]) == 401
    assert _refresh(tokens["refresh"]).status_code == 401
    assert _me(_login(user.get_username())["access"]) == 200


def test_granting_a_role_keeps_tokens(make_user: Callable[..., Any]) -> None:  # noqa: F811
    user = make_user("viewer")
    tokens = _login(user.get_username())
    user.groups.add(Group.objects.get_or_create(name="operator")[0])
    assert _me(tokens["access"]) == 200
    assert _refresh(tokens["refresh"]).status_code == 200
