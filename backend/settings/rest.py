"""Django REST framework, JWT and OpenAPI settings."""

from __future__ import annotations

import os
from datetime import timedelta

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.authentication.RoleJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.common.api.permissions.HasAnyRole"],
    # One parser for the whole API: JSON only, nesting-limited, text the database can store.
    "DEFAULT_PARSER_CLASSES": ["backend.common.api.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["backend.common.api.filters.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "backend.common.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "backend.common.api.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "30"))),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "1"))),
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Adaptive Trading System API",
    "DESCRIPTION": "Forecasts, signals, risk, strategy configuration, execution, backtests and audit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}
