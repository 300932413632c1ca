"""Token checks for the gateway: the REST API's own JWT authentication, and role rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from backend.accounts.authentication import RoleJWTAuthentication
from backend.common.roles import user_roles
from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG

# Channels every role may read (as every role may read their REST endpoints).
READABLE_BY_EVERY_ROLE = frozenset({FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG})
KNOWN_REFUSALS = frozenset({"token_revoked", "user_not_found", "user_inactive"})


class TokenRefused(Exception):
    """The token does not authenticate anyone; ``reason`` labels the metric."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who a valid access token belongs to, and until when it is valid."""

    username: str
    roles: frozenset[str]
    expires_at: float


def _refusal_reason(error: AuthenticationFailed) -> str:
    codes: Any = error.get_codes()
    code = codes if isinstance(codes, str) else ""
    if isinstance(codes, dict):
        value = codes.get("code") or codes.get("detail")
        code = value if isinstance(value, str) else ""
    return code if code in KNOWN_REFUSALS else "refused"


def token_holder_check(*, raw_token: str) -> TokenHolder:
    """Authenticate an access token exactly as the REST API does (blocking: database).

    The signature, type and expiry are simplejwt's checks; the user must exist, be active
    and carry the token version the token was issued with (a password change, a role
    removal or a logout everywhere revokes it).

    Raises
    ------
    TokenRefused
        Invalid, expired or revoked token, unknown or inactive user.
    """
    authentication = RoleJWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw_token.encode())
        user = authentication.get_user(validated)
    except InvalidToken as error:
        raise TokenRefused("invalid_token") from error
    except AuthenticationFailed as error:
        raise TokenRefused(_refusal_reason(error)) from error
    return TokenHolder(
        username=str(user.get_username()),
        roles=frozenset(role.value for role in user_roles(user=user)),
        expires_at=float(validated["exp"]),
    )


def channels_readable(*, roles: Iterable[str], execution_roles: Iterable[str]) -> frozenset[str]:
    """The channels a holder of ``roles`` may subscribe to (none without a role)."""
    held = frozenset(roles)
    if not held:
        return frozenset()
    if held & frozenset(execution_roles):
        return READABLE_BY_EVERY_ROLE | {EXECUTION_EVENTS}
    return READABLE_BY_EVERY_ROLE
