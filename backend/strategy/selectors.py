"""Reads of the strategy configuration and its history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet

from .models import StrategyConfig, StrategyConfigChange
from .parameters import PARAMETER_SPECS, parameter_default


def strategy_parameter_value(*, key: str) -> Any:
    """The current value of ``key``: the stored one, else the schema's default."""
    row = StrategyConfig.objects.filter(key=key).only("value").first()
    return row.value if row is not None else parameter_default(key=key)


def strategy_parameter_values(*, keys: Sequence[str]) -> dict[str, Any]:
    """The current values of ``keys`` in one query (defaults for keys never set)."""
    stored = dict(StrategyConfig.objects.filter(key__in=keys).values_list("key", "value"))
    return {key: stored[key] if key in stored else parameter_default(key=key) for key in keys}


def strategy_config_current() -> list[dict[str, Any]]:
    """Every key of the schema with its current value, type, range, version and description."""
    stored = {row.key: row for row in StrategyConfig.objects.all()}
    entries: list[dict[str, Any]] = []
    for key, spec in sorted(PARAMETER_SPECS.items()):
        row = stored.get(key)
        entries.append(
            {
                "key": key,
                "value": row.value if row is not None else spec.default,
                "default": spec.default,
                "value_type": spec.kind.__name__,
                "minimum": spec.minimum,
                "maximum": spec.maximum,
                "choices": list(spec.choices),
                "unit": spec.unit,
                "description": spec.description,
                "version": row.version if row is not None else 0,
                "updated_at": row.updated_at if row is not None else None,
                "updated_by": row.updated_by if row is not None else "",
            }
        )
    return entries


def strategy_config_change_list() -> QuerySet[StrategyConfigChange]:
    """The change history, newest first."""
    return StrategyConfigChange.objects.order_by("-changed_at", "-id")
