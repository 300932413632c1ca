"""OpenAPI description of the role-aware JWT authentication (a bearer JWT, as simplejwt's)."""

from __future__ import annotations

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RoleJWTScheme(SimpleJWTScheme):
    target_class = "backend.accounts.authentication.RoleJWTAuthentication"
    name = "jwtAuth"
