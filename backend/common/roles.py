"""The three roles, stored as Django groups: ``viewer`` reads, ``operator`` changes, ``service`` ingests."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

# Attribute prefix of role flags annotated on the user by the JWT authentication.
ROLE_ANNOTATION_PREFIX = "has_role_"


class Role(StrEnum):
    """A role a user holds through the Django group of the same name."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    SERVICE = "service"


def user_roles(*, user: Any) -> set[Role]:
    """Return the roles a user holds; a superuser holds every role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if getattr(user, "is_superuser", False):
        return set(Role)
    if hasattr(user, f"{ROLE_ANNOTATION_PREFIX}{Role.VIEWER.value}"):
        return {role for role in Role if getattr(user, f"{ROLE_ANNOTATION_PREFIX}{role.value}")}
    names = set(user.groups.values_list("name", flat=True))
    return {role for role in Role if role.value in names}
