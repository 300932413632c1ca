"""The shared strategy parameter schema (``risk_models.parameters``), seen from the backend."""

from __future__ import annotations

from typing import Any

from backend.common.exceptions import InvalidInput
from risk_models.parameters import PARAMETER_SPECS, ParameterError, ParameterSpec, validate

__all__ = ["PARAMETER_SPECS", "ParameterSpec", "parameter_spec", "parameter_validate"]


def parameter_spec(*, key: str) -> ParameterSpec:
    """Return the schema of ``key`` or raise :class:`InvalidInput` naming the known keys."""
    spec = PARAMETER_SPECS.get(key)
    if spec is None:
        raise InvalidInput(
            field="key",
            rule="choice",
            message=f"unknown key {key!r}; known keys: {', '.join(sorted(PARAMETER_SPECS))}",
        )
    return spec


def parameter_validate(*, key: str, value: Any) -> Any:
    """Return the value converted to the key's type, or raise :class:`InvalidInput` with the range."""
    parameter_spec(key=key)
    try:
        return validate(key, value)
    except ParameterError as error:
        raise InvalidInput(field="value", rule="range", message=str(error)) from None


def parameter_default(*, key: str) -> Any:
    """The schema's default for ``key``."""
    return parameter_spec(key=key).default
