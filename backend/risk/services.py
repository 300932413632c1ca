"""Writes: record risk decisions and breaker trips, re-arm a breaker (audited, published)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from backend.audit.services import audit_event_append
from backend.common.bus import bus_message_publish
from backend.common.exceptions import InvalidInput
from backend.recorder.receipts import (
    IngestOutcome,
    message_receipts_register,
    receipts_outcome,
)
from risk_models.breakers import BREAKER_STATES, breakers_named
from signal_bus.channels import RISK_UPDATES
from signal_bus.messages import RiskUpdate, StrategyConfigUpdate

from .models import BreakerState, Rearm, RiskDecision

# The strategy_config key under which re-arms are published (value: breaker, reason, by).
REARM_CONFIG_KEY = "risk.rearm"


def risk_messages_store(*, messages: Sequence[RiskUpdate]) -> int:
    """Store risk updates (a stored message is skipped) and mirror the engine's breakers.

    The risk engine latches its breakers and names every held one in each decision, so
    the stored breaker state follows the newest decision: named means tripped, and a
    tripped breaker that a newer decision no longer names was re-armed and is armed again.
    Decisions older than a breaker's last change (for example one made just before an
    operator's re-arm reached the engine) do not move it.
    """
    return risk_messages_ingest(messages=messages).received


def risk_messages_ingest(
    *, messages: Sequence[RiskUpdate], refuse_conflicts: bool = False
) -> IngestOutcome:
    """:func:`risk_messages_store`, each message id once whatever its time, with the counts.

    A resend (identical: duplicate; different: conflict) changes neither log nor breakers.
    """
    if not messages:
        return IngestOutcome(received=0, stored=0, duplicates=0)
    with transaction.atomic():
        receipts = message_receipts_register(channel=RISK_UPDATES, messages=messages)
        outcome = receipts_outcome(
            received=len(messages), receipts=receipts, refuse_conflicts=refuse_conflicts
        )
        _risk_decisions_store(messages=receipts.new)
    return outcome


def _risk_decisions_store(*, messages: Sequence[RiskUpdate]) -> None:
    if not messages:
        return
    rows = [
        RiskDecision(
            message_id=message.id,
            timestamp=message.ts_event,
            ts_init=message.ts_init,
            risk_factor=message.risk_factor,
            state=message.state,
            reasons=list(message.reasons),
            inputs=dict(message.inputs),
        )
        for message in messages
    ]
    with transaction.atomic():
        RiskDecision.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        breakers = {
            row.name: row
            for row in BreakerState.objects.select_for_update().filter(
                name__in=list(BREAKER_STATES)
            )
        }
        changed: set[str] = set()
        for message in sorted(messages, key=lambda item: item.ts_event):
            named = breakers_named(message.reasons)
            for name in BREAKER_STATES:
                current = breakers.get(name)
                if name in named:
                    if current is None:
                        breakers[name] = BreakerState(
                            name=name,
                            state=BreakerState.TRIPPED,
                            reason=f"named by risk update {message.id}",
                            changed_at=message.ts_event,
                        )
                        changed.add(name)
                    elif (
                        current.state == BreakerState.ARMED
                        and current.changed_at < message.ts_event
                    ):
                        current.state = BreakerState.TRIPPED
                        current.reason = f"named by risk update {message.id}"
                        current.changed_at = message.ts_event
                        changed.add(name)
                elif (
                    current is not None
                    and current.state == BreakerState.TRIPPED
                    and current.changed_at < message.ts_event
                ):
                    current.state = BreakerState.ARMED
                    current.reason = f"cleared by risk update {message.id}"
                    current.changed_at = message.ts_event
                    changed.add(name)
        for name in changed:
            breakers[name].save()


def risk_rearm(*, breaker: str, reason: str, user: Any, now: datetime | None = None) -> Rearm:
    """Re-arm a breaker: record it, audit it, publish it on ``strategy_config``.

    Raises
    ------
    InvalidInput
        When the breaker is unknown or the reason is empty.
    """
    moment = now or datetime.now(UTC)
    if breaker not in BREAKER_STATES:
        raise InvalidInput(
            field="breaker",
            rule="choice",
            message=f"must be one of {', '.join(sorted(BREAKER_STATES))}",
        )
    if not reason or not reason.strip():
        raise InvalidInput(field="reason", rule="required", message="a reason is required")
    username = user.get_username()
    with transaction.atomic():
        rearm = Rearm.objects.create(
            breaker=breaker, reason=reason.strip(), requested_by=user, requested_at=moment
        )
        rearm.message_id = f"rearm-{rearm.pk}"
        rearm.save(update_fields=["message_id"])
        BreakerState.objects.update_or_create(
            name=breaker,
            defaults={
                "state": BreakerState.ARMED,
                "reason": f"re-armed: {reason.strip()}",
                "changed_at": moment,
            },
        )
        audit_event_append(
            actor=username,
            action="breaker_rearmed",
            target=f"breaker:{breaker}",
            payload={"reason": reason.strip(), "rearm_id": rearm.pk},
            now=moment,
        )
        message = StrategyConfigUpdate(
            id=rearm.message_id,
            ts_event=moment,
            ts_init=moment,
            key=REARM_CONFIG_KEY,
            value={"breaker": breaker, "reason": reason.strip(), "by": username},
            version=rearm.pk,
            changed_by=username,
            reason=reason.strip(),
        )

        def publish() -> None:
            if bus_message_publish(message=message):
                Rearm.objects.filter(pk=rearm.pk).update(published=True)
                rearm.published = True  # the returned row (and the API's answer) says so too

        transaction.on_commit(publish)
    return rearm
