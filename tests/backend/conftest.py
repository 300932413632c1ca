"""Fixtures: users per role with JWT clients, a private bus namespace per test."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.contrib.auth.models import Group
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken


@pytest.fixture
def bus_namespace(settings: Any) -> Iterator[str]:
    """A unique signal-bus namespace for this test; its Redis keys are deleted afterwards."""
    namespace = f"test-backend-{uuid.uuid4().hex[:12]}"
    redis_url = settings.REDIS_URL
    settings.SIGNAL_BUS_NAMESPACE = namespace
    yield namespace
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _private_bus(bus_namespace: str) -> str:
    return bus_namespace


@pytest.fixture
def make_user(db: Any, django_user_model: Any) -> Callable[..., Any]:
    """Create a user holding the given roles (none for a user without a role)."""

    def make(*roles: str, username: str | None = None) -> Any:
        user = django_user_model.objects.create_user(
            username=username or f"user-{uuid.uuid4().hex[:8]}", password="a-test-password-1"
        )
        for role in roles:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def client_for(make_user: Callable[..., Any]) -> Callable[..., APIClient]:
    """An API client authenticated by JWT as a new user holding ``roles``."""

    def make(*roles: str) -> APIClient:
        user = make_user(*roles)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
        client.user = user  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


def field_errors(response: Any) -> dict[str, str]:
    """Map each failing field of a 400 response to its rule."""
    assert response.status_code == 400, response.content
    return {error["field"]: error["rule"] for error in response.json()["errors"]}


__all__ = ["field_errors"]
