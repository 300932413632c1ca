"""Permission classes: any role may read; writes need the operator or the service role."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from backend.common.roles import Role, user_roles


class HasAnyRole(BasePermission):
    """Authenticated and holding at least one of viewer, operator, service."""

    message = "This endpoint needs one of the roles viewer, operator or service."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(user_roles(user=request.user))


class _RequiresRole(BasePermission):
    required_role: Role

    def has_permission(self, request: Any, view: Any) -> bool:
        return self.required_role in user_roles(user=request.user)


class IsOperator(_RequiresRole):
    """Holds the operator role."""

    required_role = Role.OPERATOR
    message = "This action needs the operator role."


class IsService(_RequiresRole):
    """Holds the service role."""

    required_role = Role.SERVICE
    message = "This action needs the service role."


class IsOperatorOrService(BasePermission):
    """Holds the operator or the service role."""

    message = "This action needs the operator or the service role."

    def has_permission(self, request: Any, view: Any) -> bool:
        return bool(user_roles(user=request.user) & {Role.OPERATOR, Role.SERVICE})
