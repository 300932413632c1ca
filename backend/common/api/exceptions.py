"""API errors: one JSON shape, the offending field and the rule it broke, never a 500 for bad input."""

from __future__ import annotations

from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, DataError, IntegrityError
from rest_framework import status
from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
from rest_framework.response import Response

from backend.common.exceptions import InvalidInput

logger = structlog.get_logger(__name__)


class InvalidBody(ParseError):
    """Raised by the parser for a body that is not storable JSON; carries the field and rule."""

    def __init__(self, *, field: str, rule: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.rule = rule
        self.message = message


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn DRF's nested error details into ``[{field, rule, message}, ...]``."""
    errors: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "non_field_errors"
            errors.extend(_flatten(value, name))
    elif isinstance(detail, list):
        nested = any(isinstance(item, dict | list) for item in detail)
        for index, item in enumerate(detail):
            name = f"{prefix}[{index}]" if nested else prefix
            errors.extend(_flatten(item, name))
    elif isinstance(detail, ErrorDetail):
        errors.append({"field": prefix or "body", "rule": str(detail.code), "message": str(detail)})
    else:
        errors.append({"field": prefix or "body", "rule": "invalid", "message": str(detail)})
    return errors


def invalid_response(errors: list[dict[str, str]]) -> Response:
    """A 400 response listing every field and rule that failed."""
    summary = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
    return Response(
        {"detail": f"Invalid input. {summary}".strip(), "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _is_read(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return request is not None and request.method in ("GET", "HEAD", "OPTIONS")


def _cause(exception: Exception) -> dict[str, Any]:
    """What the log may keep of a database error: its class and SQLSTATE, not its text."""
    cause = exception.__cause__
    return {
        "error": type(exception).__name__,
        "sqlstate": getattr(cause, "pgcode", None) or getattr(cause, "sqlstate", None),
    }


def _view_name(context: dict[str, Any]) -> str:
    view = context.get("view")
    return type(view).__name__ if view is not None else ""


def api_exception_handler(exception: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: consistent 400s, 503 when the database is unreachable.

    No database message ever reaches the client: it names tables, constraints and SQL. A
    value the database refuses (``DataError``) is a 400, a write that collides with
    another (``IntegrityError``) a 409 the client may retry; both are logged here.
    """
    if isinstance(exception, InvalidInput | InvalidBody):
        related = exception.related if isinstance(exception, InvalidInput) else ()
        return invalid_response(
            [
                {"field": field, "rule": exception.rule, "message": exception.message}
                for field in (exception.field, *related)
            ]
        )
    if isinstance(exception, DjangoValidationError):
        detail = exception.message_dict if hasattr(exception, "error_dict") else exception.messages
        return invalid_response(_flatten(detail))
    if isinstance(exception, ValidationError):
        return invalid_response(_flatten(exception.detail))
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Response(
            {
                "detail": f"The body is larger than the limit of {limit} bytes.",
                "errors": [
                    {"field": "body", "rule": "max_size", "message": f"at most {limit} bytes"}
                ],
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exception, DataError):
        logger.warning("database_refused_value", view=_view_name(context), **_cause(exception))
        return invalid_response(
            [
                {
                    "field": "query" if _is_read(context) else "body",
                    "rule": "out_of_range",
                    "message": "a value is out of the range the database can store or compare",
                }
            ]
        )
    if isinstance(exception, IntegrityError):
        logger.warning("database_write_conflict", view=_view_name(context), **_cause(exception))
        return Response(
            {"detail": "The request conflicts with a concurrent change; retry it."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exception, DatabaseError):
        logger.error("database_unavailable", error=str(exception))
        return Response(
            {"detail": "The database is unavailable; retry later."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    # Imported here: rest_framework.views loads the parser classes, which import this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exception, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    return response
