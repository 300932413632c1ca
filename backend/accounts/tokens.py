"""Token issue, refresh and revocation: every token carries the user's token version.

simplejwt's blacklist refuses a refresh token used before (refresh tokens rotate) or
logged out; the version claim (``tv``) refuses every token, access tokens included,
issued before the user's password changed, a role was removed or the user logged out
everywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from .models import TOKEN_VERSION_CLAIM
from .selectors import user_token_version


class LoginSerializer(TokenObtainPairSerializer):
    """simplejwt's login, with the user's token version in the tokens."""

    @classmethod
    def get_token(cls, user: Any) -> Any:
        token = super().get_token(user)
        token[TOKEN_VERSION_CLAIM] = user_token_version(user_id=user.pk)
        return token


def token_version_check(*, token: Any, version: int) -> None:
    """Refuse a token whose version claim is older than the user's (0 when absent).

    Raises
    ------
    AuthenticationFailed
        The token was revoked by a password change, a role removal or a logout everywhere.
    """
    if int(token.get(TOKEN_VERSION_CLAIM, 0)) != version:
        raise AuthenticationFailed("Token has been revoked", code="token_revoked")


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """simplejwt's refresh (rotating, blacklisting the used token), refusing revoked tokens."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        try:
            refresh = RefreshToken(attrs["refresh"])
        except TokenError as error:
            raise InvalidToken(str(error)) from error
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = (
            get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
            if user_id is not None
            else None
        )
        if user is None:
            raise AuthenticationFailed(
                "No active account found for the given token.", "no_active_account"
            )
        token_version_check(token=refresh, version=user_token_version(user_id=user.pk))
        return super().validate(attrs)
