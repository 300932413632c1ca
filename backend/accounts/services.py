"""Role management (create the role groups, grant and revoke roles) and token revocation, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from backend.audit.services import audit_event_append
from backend.common.roles import Role

from .metrics import login_failure_count
from .models import UserTokenVersion


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


def user_tokens_revoke(*, user: Any, reason: str, actor: str = "system") -> int:
    """Revoke every token ``user`` holds: raise the token version, blacklist refresh tokens.

    Access tokens issued before are refused by the authentication (their version claim is
    older); outstanding refresh tokens are blacklisted. Audited as ``tokens_revoked``.
    Returns the new token version.
    """
    with transaction.atomic():
        UserTokenVersion.objects.get_or_create(user=user)
        UserTokenVersion.objects.filter(user=user).update(version=F("version") + 1)
        version = UserTokenVersion.objects.get(user=user).version
        outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create(
            [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
        )
        audit_event_append(
            actor=actor,
            action="tokens_revoked",
            target=f"user:{user.get_username()}",
            payload={"reason": reason, "token_version": version},
        )
    return version


def user_logout(*, user: Any, refresh: Any, everywhere: bool = False) -> None:
    """Blacklist ``refresh`` (a validated refresh token of ``user``); with ``everywhere``,
    revoke every token of the user, access tokens included (audited as ``logout``)."""
    with transaction.atomic():
        refresh.blacklist()
        audit_event_append(
            actor=user.get_username(),
            action="logout",
            target=f"user:{user.get_username()}",
            payload={"everywhere": everywhere},
        )
        if everywhere:
            user_tokens_revoke(user=user, reason="logout_everywhere", actor=user.get_username())


def login_failure_record(*, username: str, address: str) -> None:
    """Count and audit a refused login (``login_failed``: the name tried and the address)."""
    login_failure_count(reason="invalid_credentials")
    audit_event_append(
        actor="anonymous",
        action="login_failed",
        target=f"user:{username[:150]}",
        payload={"address": address},
    )
