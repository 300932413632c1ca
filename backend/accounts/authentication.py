"""JWT authentication that loads the user and the user's roles in one query."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Exists, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from backend.common.roles import ROLE_ANNOTATION_PREFIX, Role

from .models import UserTokenVersion
from .tokens import token_version_check


class RoleJWTAuthentication(JWTAuthentication):
    """Like simplejwt's authentication, with the roles annotated on the user (no second query).

    A token issued before the user's tokens were revoked (password change, role removal,
    logout everywhere) is refused: its version claim is older than the user's.
    """

    def get_user(self, validated_token: Any) -> Any:
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken("Token contained no recognizable user identification") from error
        users = get_user_model().objects.annotate(
            **{
                f"{ROLE_ANNOTATION_PREFIX}{role.value}": Exists(
                    Group.objects.filter(user=OuterRef("pk"), name=role.value)
                )
                for role in Role
            },
            current_token_version=Coalesce(
                Subquery(
                    UserTokenVersion.objects.filter(user=OuterRef("pk")).values("version")[:1]
                ),
                Value(0),
            ),
        )
        user = users.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        token_version_check(token=validated_token, version=user.current_token_version)
        return user
