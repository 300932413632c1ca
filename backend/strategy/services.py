"""Writes: change strategy parameters (validated, historised, audited, published)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from backend.audit.services import audit_event_append
from backend.common.bus import bus_message_publish
from backend.common.exceptions import InvalidInput
from risk_models.parameters import PARAMETER_SPECS, CrossFieldError, StrategyParameters
from risk_models.settings import plan_changes
from signal_bus.messages import StrategyConfigUpdate

from .models import StrategyConfig, StrategyConfigChange
from .parameters import parameter_spec, parameter_validate

# One lock for every change of the configuration: a cross-field rule spans keys, so two
# changes of different keys must not both be checked against the same old values.
CONFIGURATION_LOCK = 0x5354_5241_5447  # "STRATG"


def _row_apply(
    *, key: str, value: Any, version: int, changed_by: str, now: datetime
) -> StrategyConfig:
    spec = parameter_spec(key=key)
    row, _ = StrategyConfig.objects.update_or_create(
        key=key,
        defaults={
            "value": value,
            "value_type": spec.kind.__name__,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "description": spec.description,
            "version": version,
            "updated_at": now,
            "updated_by": changed_by,
        },
    )
    return row


def _row_lock(*, key: str, now: datetime) -> StrategyConfig:
    """Lock ``key``'s row for this transaction, creating it at version 0 on first use.

    A missing row cannot be locked, so two first changes of a key would both read "none"
    and both write version 1. Creating the row first serialises them: the second insert
    waits on the unique key until the first commits, then ``get_or_create`` reads that row
    and the lock below waits its turn, so the second change becomes version 2.
    """
    spec = parameter_spec(key=key)
    StrategyConfig.objects.get_or_create(
        key=key,
        defaults={
            "value": spec.default,
            "value_type": spec.kind.__name__,
            "minimum": spec.minimum,
            "maximum": spec.maximum,
            "description": spec.description,
            "version": 0,
            "updated_at": now,
        },
    )
    return StrategyConfig.objects.select_for_update().get(key=key)


def _configuration_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CONFIGURATION_LOCK])
    # SQLite (the embedded demo) takes the database's write lock for the transaction.


def _planned(validated: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The change checked with the values in force, in an order consumers can apply.

    LEAN's models and the risk engine apply ``strategy_config`` one key at a time in the
    order published, with the same :class:`~risk_models.settings.StrategySettings`; a
    change is stored only if every step of that is valid (cross-field rules included).
    """
    stored = dict(StrategyConfig.objects.filter(version__gt=0).values_list("key", "value"))
    current = StrategyParameters.from_mapping(
        {key: value for key, value in stored.items() if key in PARAMETER_SPECS}
    )
    try:
        return plan_changes(current, validated)
    except CrossFieldError as error:
        fields = [f"values.{name}" for name in error.fields]
        raise InvalidInput(
            field=fields[0], rule=error.rule, message=str(error), related=tuple(fields[1:])
        ) from None


def strategy_config_update(
    *, values: Mapping[str, Any], changed_by: str, reason: str, now: datetime | None = None
) -> list[StrategyConfigChange]:
    """Validate every value, then apply them all in one transaction and publish each change.

    Raises
    ------
    InvalidInput
        When a key is unknown, a value is out of range, the values contradict the ones in
        force or each other (every field involved is named), or the reason is empty;
        nothing is changed then.
    """
    moment = now or datetime.now(UTC)
    if not reason or not reason.strip():
        raise InvalidInput(field="reason", rule="required", message="a reason is required")
    if not values:
        raise InvalidInput(field="values", rule="min_length", message="give at least one key")
    validated: dict[str, Any] = {}
    for key, value in values.items():
        try:
            validated[key] = parameter_validate(key=key, value=value)
        except InvalidInput as error:
            raise InvalidInput(
                field=f"values.{key}", rule=error.rule, message=error.message
            ) from None
    changes: list[StrategyConfigChange] = []
    with transaction.atomic():
        _configuration_lock()
        ordered = _planned(validated)
        for key, value in ordered:
            current = _row_lock(key=key, now=moment)
            old_value = current.value if current.version else parameter_spec(key=key).default
            version = current.version + 1
            _row_apply(key=key, value=value, version=version, changed_by=changed_by, now=moment)
            change = StrategyConfigChange.objects.create(
                key=key,
                old_value=old_value,
                new_value=value,
                version=version,
                changed_by=changed_by,
                reason=reason.strip(),
                changed_at=moment,
            )
            audit_event_append(
                actor=changed_by,
                action="strategy_config_changed",
                target=f"strategy_config:{key}",
                payload={
                    "old": old_value,
                    "new": value,
                    "version": version,
                    "reason": reason.strip(),
                },
                now=moment,
            )
            changes.append(change)
        messages = [
            StrategyConfigUpdate(
                id=f"strategy-config-{change.key}-{change.version}",
                ts_event=moment,
                ts_init=moment,
                key=change.key,
                value=change.new_value,
                version=change.version,
                changed_by=changed_by,
                reason=change.reason,
            )
            for change in changes
        ]
        transaction.on_commit(lambda: [bus_message_publish(message=m) for m in messages])
    return changes


def strategy_config_messages_store(*, messages: Sequence[StrategyConfigUpdate]) -> int:
    """Record ``strategy_config`` messages seen on the bus; a known ``(key, version)`` is skipped."""
    stored = 0
    for message in messages:
        with transaction.atomic():
            if StrategyConfigChange.objects.filter(
                key=message.key, version=message.version
            ).exists():
                continue
            current = StrategyConfig.objects.select_for_update().filter(key=message.key).first()
            old_value = current.value if current is not None else None
            StrategyConfigChange.objects.create(
                key=message.key,
                old_value=old_value,
                new_value=message.value
                if not isinstance(message.value, tuple)
                else list(message.value),
                version=message.version,
                changed_by=message.changed_by,
                reason=message.reason or "recorded from the bus",
                changed_at=message.ts_event,
            )
            known_key = True
            try:
                parameter_spec(key=message.key)
            except InvalidInput:
                known_key = False
            if known_key and (current is None or current.version < message.version):
                _row_apply(
                    key=message.key,
                    value=message.value,
                    version=message.version,
                    changed_by=message.changed_by,
                    now=message.ts_event,
                )
            stored += 1
    return stored
