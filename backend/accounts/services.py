"""Role management: create the role groups, grant and revoke roles (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group

from backend.common.roles import Role


def role_groups_ensure() -> list[Group]:
    """Create the viewer, operator and service groups when missing."""
    return [Group.objects.get_or_create(name=role.value)[0] for role in Role]


def user_role_grant(*, user: Any, role: Role) -> None:
    """Give a user a role (the change is audited by the accounts signal receivers)."""
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)


def user_role_revoke(*, user: Any, role: Role) -> None:
    """Take a role away from a user (audited)."""
    group = Group.objects.filter(name=role.value).first()
    if group is not None:
        user.groups.remove(group)
