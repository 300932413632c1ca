"""API shape of the logged-in user."""

from __future__ import annotations

from rest_framework import serializers

from backend.common.roles import Role


class CurrentUserSerializer(serializers.Serializer[dict[str, object]]):
    username = serializers.CharField()
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=[role.value for role in Role]),
        help_text="The roles the user holds (a superuser holds every role), sorted.",
    )


class LogoutInputSerializer(serializers.Serializer[dict[str, object]]):
    refresh = serializers.CharField(help_text="The refresh token to blacklist.")
    everywhere = serializers.BooleanField(
        default=False,
        help_text="Also revoke every other token of the user, access tokens included.",
    )


class LogoutOutputSerializer(serializers.Serializer[dict[str, object]]):
    detail = serializers.CharField()
    everywhere = serializers.BooleanField()
