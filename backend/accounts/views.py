"""Login, refresh, logout, and the logged-in user's name and roles."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from backend.common.exceptions import InvalidInput
from backend.common.roles import user_roles

from .serializers import CurrentUserSerializer, LogoutInputSerializer, LogoutOutputSerializer
from .services import login_failure_record, user_logout
from .throttling import LoginAddressThrottle, LoginUsernameThrottle
from .tokens import LoginSerializer, RotatingRefreshSerializer


class LoginView(TokenObtainPairView):
    """Obtain an access and a refresh token with a user name and password.

    Throttled per user name and per address (429 with ``Retry-After``); a refused
    password is counted (``ats_login_failures_total``) and audited (``login_failed``).
    """

    serializer_class = LoginSerializer
    throttle_classes = (LoginUsernameThrottle, LoginAddressThrottle)

    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            data = request.data if isinstance(request.data, dict) else {}
            username = data.get("username")
            login_failure_record(
                username=username if isinstance(username, str) else "",
                address=LoginAddressThrottle().get_ident(request),
            )
            raise


class RefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token and a new refresh token.

    Refresh tokens rotate: the one sent is blacklisted, so it works once.
    """

    serializer_class = RotatingRefreshSerializer
    throttle_classes = (LoginAddressThrottle,)


class LogoutView(APIView):
    """Blacklist a refresh token of the logged-in user (``everywhere``: revoke all its tokens).

    Without ``everywhere``, access tokens already issued stay valid until they expire
    (``JWT_ACCESS_MINUTES``); with it, every token of the user is refused from now on.
    """

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=LogoutInputSerializer, responses={200: LogoutOutputSerializer})
    def post(self, request: Request) -> Response:
        payload = LogoutInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(payload.validated_data["refresh"])
        except TokenError as error:
            raise InvalidInput(
                field="refresh", rule="token", message="not a valid refresh token"
            ) from error
        if str(refresh.get(api_settings.USER_ID_CLAIM)) != str(request.user.pk):
            raise InvalidInput(
                field="refresh", rule="token", message="not a refresh token of this user"
            )
        everywhere = bool(payload.validated_data["everywhere"])
        user_logout(user=request.user, refresh=refresh, everywhere=everywhere)
        return Response({"detail": "logged out", "everywhere": everywhere})


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
