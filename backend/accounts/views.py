"""The logged-in user's name and roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.roles import user_roles

from .serializers import CurrentUserSerializer


class CurrentUserView(APIView):
    """Who the bearer token belongs to, and which roles that user holds.

    Any authenticated user may ask, even one without a role (the answer's ``roles`` is
    then empty), so a client can say why the other endpoints refuse it.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: CurrentUserSerializer})
    def get(self, request: Request) -> Response:
        roles = sorted(role.value for role in user_roles(user=request.user))
        return Response({"username": request.user.get_username(), "roles": roles})
