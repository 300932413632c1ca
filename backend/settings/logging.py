"""Logging: structlog renders key/value events through the standard library handlers.

Every format (``LOG_FORMAT=console`` or ``json``) runs the same chain: tracebacks are
rendered as plain text without local variables (a frame's locals may hold a request body
or a password), then :func:`redact_credentials` masks credential-like keys and
``key=value`` fragments in every value, the rendered traceback included. Request bodies
are never logged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import structlog

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOG_JSON = os.environ.get("LOG_FORMAT", "console").lower() == "json"

REDACTED = "[redacted]"
# Parts of a key that mark its value as a credential (matched case-insensitively, ignoring
# separators: ``api_key``, ``API-Key`` and ``apikey`` all match ``apikey``).
CREDENTIAL_KEY_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "apikey",
    "accesskey",
    "privatekey",
    "credential",
    "cookie",
    "session",
    "signature",
)
_CREDENTIAL_IN_TEXT = re.compile(
    r"(?i)(?P<key>[\w-]*(?:password|passwd|passphrase|secret|token|authorization|"
    r"api[_-]?key|access[_-]?key|private[_-]?key|credential|cookie|signature)[\w-]*)"
    r"(?P<separator>['\"]?\s*[:=]\s*)"
    r"(?P<value>'[^']*'|\"[^\"]*\"|(?:bearer\s+)?[^\s,;}\])'\"]+)"
)
_MAX_DEPTH = 8


def is_credential_key(key: object) -> bool:
    """Whether a mapping key names a credential (``password``, ``refresh_token``, ``API-Key``...)."""
    folded = re.sub(r"[^a-z]", "", str(key).lower())
    return any(part in folded for part in CREDENTIAL_KEY_PARTS)


def redact_text(text: str) -> str:
    """Mask ``password=...``, ``"token": "..."``, ``Authorization: Bearer ...`` in free text."""
    return _CREDENTIAL_IN_TEXT.sub(
        lambda match: f"{match['key']}{match['separator']}{REDACTED}", text
    )


def redact_value(value: Any, depth: int = 0) -> Any:
    """Return ``value`` with credential keys masked at every level and credentials in text masked."""
    if depth > _MAX_DEPTH:
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_credential_key(key) else redact_value(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item, depth + 1) for item in value]
    return value


def redact_credentials(logger: Any, method_name: str, event_dict: Any) -> Any:
    """structlog processor: mask credentials in every field of an event (see module doc)."""
    for key in list(event_dict):
        if key.startswith("_"):
            continue  # structlog's and ProcessorFormatter's own metadata (the record)
        value = event_dict[key]
        if is_credential_key(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str | Mapping | list | tuple | set | frozenset):
            event_dict[key] = redact_value(value)
    return event_dict


def _renderer(json_format: bool) -> Any:
    if json_format:
        return structlog.processors.JSONRenderer()
    # Plain tracebacks: the default (rich, when installed) prints every frame's locals.
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback
    )


def logging_processors(*, json_format: bool) -> list[Any]:
    """The formatter's chain: plain traceback (no locals) → redaction → renderer."""
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_credentials,
        _renderer(json_format),
    ]


_shared_processors: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_credentials,
]

structlog.configure(
    processors=[*_shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "structured": {
            "()": structlog.stdlib.ProcessorFormatter,
            "processors": logging_processors(json_format=LOG_JSON),
            "foreign_pre_chain": _shared_processors,
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
