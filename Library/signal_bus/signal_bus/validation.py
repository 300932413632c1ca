"""Field checks shared by the message contracts; each raises MessageValidationError."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from signal_bus.errors import MessageValidationError
from signal_bus.horizon import Horizon

MAX_TEXT_LENGTH = 256
MAX_FREE_TEXT_LENGTH = 4096
MAX_ITEMS = 1000
MAX_DEPTH = 16

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def require_number(field: str, value: object) -> float:
    """Return ``value`` as a finite float; bools and non-numbers are rejected."""
    if type(value) is float and math.isfinite(value):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MessageValidationError(field, f"must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise MessageValidationError(field, "number out of range") from None
    if not math.isfinite(number):
        raise MessageValidationError(field, "must be finite")
    return number


def optional_number(field: str, value: object) -> float | None:
    """Return ``value`` as a finite float, or None when it is None."""
    return None if value is None else require_number(field, value)


def require_unit_interval(field: str, value: object) -> float:
    """Return ``value`` as a float in [0, 1]."""
    number = require_number(field, value)
    if not 0.0 <= number <= 1.0:
        raise MessageValidationError(field, f"must be in [0, 1], got {number}")
    return number


def require_non_negative(field: str, value: object) -> float:
    """Return ``value`` as a finite float >= 0."""
    number = require_number(field, value)
    if number < 0.0:
        raise MessageValidationError(field, f"must be >= 0, got {number}")
    return number


def require_integer(field: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int (bools rejected), optionally at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MessageValidationError(field, f"must be an integer, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise MessageValidationError(field, f"must be >= {minimum}, got {value}")
    return value


def require_name(field: str, value: object) -> str:
    """Return ``value`` as a short, non-empty, single-line identifier-like string."""
    if not isinstance(value, str):
        raise MessageValidationError(field, f"must be a string, got {type(value).__name__}")
    if not value or value != value.strip():
        raise MessageValidationError(field, "must be non-empty without surrounding spaces")
    if len(value) > MAX_TEXT_LENGTH:
        raise MessageValidationError(field, f"longer than {MAX_TEXT_LENGTH} characters")
    if not value.isprintable() and _CONTROL_CHARACTERS.search(value):
        raise MessageValidationError(field, "contains control characters")
    return value


def is_name(value: object) -> bool:
    """Whether :func:`require_name` accepts ``value`` as it is (a cheap test for fast paths)."""
    return (
        type(value) is str
        and 0 < len(value) <= MAX_TEXT_LENGTH
        and value.isprintable()
        and value == value.strip()
    )


def is_text(value: object) -> bool:
    """Whether :func:`require_text` accepts ``value`` as it is."""
    return type(value) is str and len(value) <= MAX_FREE_TEXT_LENGTH


def is_horizon(value: object) -> bool:
    """Whether :func:`require_horizon` accepts ``value``."""
    return Horizon.is_valid(value)


def require_text(field: str, value: object) -> str:
    """Return ``value`` as a (possibly empty) string of bounded length."""
    if not isinstance(value, str):
        raise MessageValidationError(field, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_FREE_TEXT_LENGTH:
        raise MessageValidationError(field, f"longer than {MAX_FREE_TEXT_LENGTH} characters")
    return value


def require_flag(field: str, value: object) -> bool:
    """Return ``value`` if it is a JSON boolean (``1`` and ``"true"`` are refused)."""
    if not isinstance(value, bool):
        raise MessageValidationError(field, f"must be true or false, got {value!r}")
    return value


def require_choice(field: str, value: object, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise MessageValidationError(field, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def require_horizon(field: str, value: object) -> str:
    """Return ``value`` if it spells a :class:`~signal_bus.horizon.Horizon` (``"4h"``)."""
    if not Horizon.is_valid(value):
        raise MessageValidationError(
            field, f"must be a horizon such as '15m', '1h', '4h' or '1d', got {value!r}"
        )
    assert isinstance(value, str)
    return value


def require_timestamp(field: str, value: object) -> datetime:
    """Return ``value`` as a timezone-aware UTC datetime.

    Accepts an aware ``datetime`` or an ISO-8601 string with a UTC offset or ``Z``.
    """
    if isinstance(value, str):
        if len(value) > 64:
            raise MessageValidationError(field, "timestamp string too long")
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise MessageValidationError(field, f"not an ISO-8601 timestamp: {value!r}") from None
    if not isinstance(value, datetime):
        raise MessageValidationError(field, f"must be a timestamp, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise MessageValidationError(field, "timestamp must carry a UTC offset")
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise MessageValidationError(field, "timestamp out of range") from None


def require_reasons(field: str, value: object) -> tuple[str, ...]:
    """Return ``value`` as a tuple of names."""
    if not isinstance(value, list | tuple):
        raise MessageValidationError(field, f"must be a list, got {type(value).__name__}")
    if len(value) > MAX_ITEMS:
        raise MessageValidationError(field, f"more than {MAX_ITEMS} items")
    return tuple(require_name(f"{field}[{index}]", item) for index, item in enumerate(value))


def require_number_mapping(field: str, value: object) -> Mapping[str, float]:
    """Return ``value`` as a read-only mapping of names to finite floats."""
    if not isinstance(value, Mapping):
        raise MessageValidationError(field, f"must be an object, got {type(value).__name__}")
    if len(value) > MAX_ITEMS:
        raise MessageValidationError(field, f"more than {MAX_ITEMS} items")
    checked: dict[str, float] = {}
    for name, number in value.items():
        checked[require_name(f"{field} key", name)] = require_number(f"{field}.{name}", number)
    return MappingProxyType(checked)


def require_json_value(field: str, value: object, depth: int = 0) -> Any:
    """Return a deep, read-only copy of a JSON value (lists become tuples, objects read-only)."""
    if depth > MAX_DEPTH:
        raise MessageValidationError(field, f"nested deeper than {MAX_DEPTH}")
    if value is None or isinstance(value, bool | str):
        if isinstance(value, str):
            return require_text(field, value)
        return value
    if isinstance(value, int | float):
        return value if isinstance(value, int) else require_number(field, value)
    if isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            raise MessageValidationError(field, f"more than {MAX_ITEMS} items")
        return tuple(
            require_json_value(f"{field}[{i}]", item, depth + 1) for i, item in enumerate(value)
        )
    if isinstance(value, Mapping):
        if len(value) > MAX_ITEMS:
            raise MessageValidationError(field, f"more than {MAX_ITEMS} items")
        items: dict[str, Any] = {}
        for name, item in value.items():
            if not isinstance(name, str):
                raise MessageValidationError(field, "object keys must be strings")
            items[name] = require_json_value(f"{field}.{name}", item, depth + 1)
        return MappingProxyType(items)
    raise MessageValidationError(field, f"not a JSON value: {type(value).__name__}")


def thaw_json_value(value: Any) -> Any:
    """Return a plain JSON copy (lists and dicts) of a value frozen by :func:`require_json_value`."""
    if isinstance(value, tuple | list):
        return [thaw_json_value(item) for item in value]
    if isinstance(value, Mapping):
        return {name: thaw_json_value(item) for name, item in value.items()}
    return value
