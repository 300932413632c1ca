"""``GET /api/auth/me/``: the logged-in user's name and roles."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from backend.accounts.tokens import LoginSerializer

pytestmark = pytest.mark.django_db


def test_unauthenticated_is_401(anonymous: Any) -> None:
    assert anonymous.get("/api/auth/me/").status_code == 401


@pytest.mark.parametrize(
    "roles", [(), ("viewer",), ("operator",), ("service",), ("viewer", "operator")]
)
def test_answers_name_and_sorted_roles(client_for: Any, roles: tuple[str, ...]) -> None:
    client = client_for(*roles)
    response = client.get("/api/auth/me/")
    assert response.status_code == 200
    assert response.json() == {
        "username": client.user.get_username(),
        "roles": sorted(roles),
    }


def test_superuser_holds_every_role(django_user_model: Any) -> None:
    user = django_user_model.objects.create_superuser(username="me-admin", password="pw-12345678")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    assert client.get("/api/auth/me/").json()["roles"] == ["operator", "service", "viewer"]


def test_role_revoked_shows_at_once(client_for: Any) -> None:
    client = client_for("viewer", "operator")
    client.user.groups.remove(client.user.groups.get(name="operator"))
    # A role removal revokes the user's tokens (issue 20, defect 6); a new token shows the rest.
    assert client.get("/api/auth/me/").status_code == 401
    token = LoginSerializer.get_token(client.user).access_token  # carries the token version
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/auth/me/").json()["roles"] == ["viewer"]


def test_documented_in_openapi(anonymous: Any) -> None:
    schema = anonymous.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/auth/me/"]["get"]
    response_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][response_schema["$ref"].rsplit("/", 1)[1]]
    assert set(component["properties"]) == {"username", "roles"}
    items = component["properties"]["roles"]["items"]
    if "$ref" in items:
        items = schema["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]
    assert items["enum"] == ["viewer", "operator", "service"]
