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
