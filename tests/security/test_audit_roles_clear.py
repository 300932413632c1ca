"""Defect 10: removing every role of a user records which roles were removed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group

from backend.audit.models import AuditEvent
from tests.backend.conftest import _private_bus, bus_namespace, make_user  # noqa: F401

pytestmark = pytest.mark.django_db


def test_clearing_a_users_roles_records_the_roles_removed(
    make_user: Callable[..., Any],  # noqa: F811
) -> None:
    user = make_user("operator", "viewer")
    user.groups.clear()
    event = AuditEvent.objects.filter(action="roles_clear").latest("id")
    assert event.target == f"user:{user.get_username()}"
    assert event.payload == {"groups": ["operator", "viewer"]}


def test_clearing_a_roles_users_records_each_user(make_user: Callable[..., Any]) -> None:  # noqa: F811
    first, second = make_user("service"), make_user("service")
    Group.objects.get(name="service").user_set.clear()
    events = AuditEvent.objects.filter(action="roles_clear").order_by("id")
    assert {(event.target, tuple(event.payload["groups"])) for event in events} == {
        (f"user:{first.get_username()}", ("service",)),
        (f"user:{second.get_username()}", ("service",)),
    }
