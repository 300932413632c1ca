"""Writes of the model lifecycle: register, transition, the automatic rule, rollback.

A model version moves ``candidate`` → ``shadow`` → ``live`` → ``retired``
(``risk_models.promotion.ALLOWED_TRANSITIONS``); only the ``live`` version of an asset
group and horizon (its champion) trades. Every change is one transaction that

- locks the group and horizon (a PostgreSQL advisory lock; SQLite locks the whole
  database for a write) and the version rows involved (``select_for_update``), so two
  concurrent promotions cannot both find "no champion" and make two (the database's
  partial unique constraint refuses a second ``live`` row anyway);
- writes one :class:`~backend.forecasts.models.ModelTransition` per version that moves
  (who or which rule, why, when, and the champion it replaced) and one audit-chain
  event (``model_status_changed``).

Operators' transitions are ``manual``: the automatic rule (:func:`apply_decision`)
never overrides them on that version.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from backend.audit.services import audit_event_append
from backend.common.exceptions import InvalidInput
from risk_models.gates import GateConfig, challenger_gate
from risk_models.promotion import (
    ALLOWED_TRANSITIONS,
    Decision,
    ModelStatus,
    TransitionError,
    check_transition,
)
from signal_bus.horizon import Horizon

from .models import ACTOR_LENGTH, ModelTransition, ModelVersion
from .shadow import shadow_record

# Class key of the advisory locks that serialise changes of one group and horizon.
_LIFECYCLE_LOCK_CLASS = 0x4D4F_444C  # "MODL"
AUDIT_ACTION = "model_status_changed"
RULE_ACTOR_PREFIX = "rule: "


class LifecycleError(InvalidInput):
    """A lifecycle change that cannot be made; the API answers it with a 400 naming the field.

    ``allowed``: the statuses the version may move to, for a refused transition.
    """

    def __init__(
        self,
        *,
        field: str,
        rule: str,
        message: str,
        related: tuple[str, ...] = (),
        allowed: tuple[str, ...] = (),
    ) -> None:
        super().__init__(field=field, rule=rule, message=message, related=related)
        self.allowed = allowed


def allowed_targets(status: ModelStatus | str) -> tuple[str, ...]:
    """The statuses a version in ``status`` may move to, sorted."""
    return tuple(sorted(str(target) for target in ALLOWED_TRANSITIONS[ModelStatus(status)]))


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(UTC)


def _reason_check(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(field="reason", rule="required", message="a reason is required")
    return text


def _status_parse(target: ModelStatus | str) -> ModelStatus:
    try:
        return ModelStatus(target)
    except ValueError:
        known = ", ".join(status.value for status in ModelStatus)
        raise LifecycleError(
            field="status",
            rule="invalid_choice",
            message=f"{str(target)[:40]!r} is not a status; one of {known}",
        ) from None


def _transition_check(current: ModelStatus | str, target: ModelStatus) -> None:
    try:
        check_transition(current, target)
    except TransitionError as error:
        raise LifecycleError(
            field="status",
            rule="transition",
            message=str(error),
            allowed=allowed_targets(current),
        ) from None


def _group_lock(*, asset_group: str, horizon: str) -> None:
    """Serialise every change of one (asset group, horizon) until the transaction ends."""
    if connection.vendor != "postgresql":
        return  # SQLite (the embedded demo) takes the database's write lock instead.
    key = json.dumps([asset_group, horizon])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LIFECYCLE_LOCK_CLASS, key]
        )


def _version_lock(version_row: ModelVersion) -> ModelVersion:
    """Lock the version's group, then the version; return its row as stored now.

    The group is always locked before any row, in every function here, so two changes
    never wait on each other in opposite orders.
    """
    group = (version_row.asset_group, version_row.horizon)
    while True:
        _group_lock(asset_group=group[0], horizon=group[1])
        row = ModelVersion.objects.select_for_update().get(pk=version_row.pk)
        if (row.asset_group, row.horizon) == group:
            return row
        group = (row.asset_group, row.horizon)  # registered into a group meanwhile


def _champion_lock(
    *, asset_group: str, horizon: str, other_than: int | None
) -> ModelVersion | None:
    rows = ModelVersion.objects.select_for_update().filter(
        asset_group=asset_group, horizon=horizon, status=ModelStatus.LIVE.value
    )
    if other_than is not None:
        rows = rows.exclude(pk=other_than)
    return rows.first()


def _move(
    row: ModelVersion,
    target: ModelStatus,
    *,
    actor: str,
    reason: str,
    manual: bool,
    now: datetime,
    replaced: ModelVersion | None = None,
    gates: Mapping[str, Any] | None = None,
) -> ModelTransition:
    """Change a locked row's status; record the transition and its audit event."""
    previous = row.status
    row.status = target.value
    row.manual = manual
    row.status_changed_at = now
    fields = ["status", "manual", "status_changed_at"]
    if gates is not None:
        row.gates = dict(gates)
        fields.append("gates")
    row.save(update_fields=fields)
    actor_text = actor[:ACTOR_LENGTH]
    record = ModelTransition.objects.create(
        version=row,
        from_status=previous,
        to_status=target.value,
        actor=actor_text,
        reason=reason,
        manual=manual,
        created_at=now,
        replaced=replaced,
    )
    audit_event_append(
        actor=actor_text,
        action=AUDIT_ACTION,
        target=f"model_version:{row.pk}",
        payload={
            "model": row.model,
            "version": row.version,
            "asset_group": row.asset_group,
            "horizon": row.horizon,
            "from": previous,
            "to": target.value,
            "reason": reason,
            "manual": manual,
            "replaced": None if replaced is None else str(replaced),
            "transition": record.pk,
        },
        now=now,
    )
    return record


def _promote(
    row: ModelVersion,
    *,
    actor: str,
    reason: str,
    manual: bool,
    now: datetime,
    gates: Mapping[str, Any] | None = None,
) -> ModelVersion | None:
    """Make a locked row live, retiring its group's champion first; return the one retired."""
    champion_row = _champion_lock(
        asset_group=row.asset_group, horizon=row.horizon, other_than=row.pk
    )
    if champion_row is not None:
        _move(
            champion_row,
            ModelStatus.RETIRED,
            actor=actor,
            reason=f"replaced by {row}",
            manual=manual,
            now=now,
        )
    _move(
        row,
        ModelStatus.LIVE,
        actor=actor,
        reason=reason,
        manual=manual,
        now=now,
        replaced=champion_row,
        gates=gates,
    )
    return champion_row


# ---------------------------------------------------------------- public services


def register_version(
    model: str,
    version: str,
    *,
    asset_group: str,
    horizon: str,
    metrics: Mapping[str, Any] | None = None,
    trained_at: datetime | None = None,
    now: datetime | None = None,
) -> ModelVersion:
    """Return the row of ``model@version``, creating it as a ``candidate`` on first sight.

    A version stays in the asset group and horizon it was first registered with: a later
    registration only fills them in while they are empty and the version is a
    candidate (a forecast seen before the training job registered it, for example).
    ``metrics`` and ``trained_at``, when given, replace the stored ones.
    """
    if not model or not version:
        raise InvalidInput(
            field="model" if not model else "version",
            rule="required",
            message="a model version needs a model name and a version",
        )
    if horizon and not Horizon.is_valid(horizon):
        raise InvalidInput(
            field="horizon",
            rule="invalid",
            message=f"{horizon[:20]!r} is not a horizon such as '1h', '4h' or '1d'",
        )
    row = ModelVersion.objects.filter(model=model, version=version).first()
    if row is None:
        row, created = ModelVersion.objects.get_or_create(
            model=model,
            version=version,
            defaults={
                "asset_group": asset_group,
                "horizon": horizon,
                "metrics": dict(metrics or {}),
                "trained_at": trained_at,
                "status": ModelStatus.CANDIDATE.value,
                "status_changed_at": _now(now),
            },
        )
        if created:
            return row
    if not _registration_updates(row, asset_group, horizon, metrics, trained_at):
        return row
    with transaction.atomic():
        row = ModelVersion.objects.select_for_update().get(pk=row.pk)
        updates = _registration_updates(row, asset_group, horizon, metrics, trained_at)
        for name, value in updates.items():
            setattr(row, name, value)
        if updates:
            row.save(update_fields=list(updates))
    return row


def _registration_updates(
    row: ModelVersion,
    asset_group: str,
    horizon: str,
    metrics: Mapping[str, Any] | None,
    trained_at: datetime | None,
) -> dict[str, Any]:
    updates: dict[str, Any] = {}
    if row.status == ModelStatus.CANDIDATE.value:
        if asset_group and not row.asset_group:
            updates["asset_group"] = asset_group
        if horizon and not row.horizon:
            updates["horizon"] = horizon
    if metrics is not None and dict(metrics) != row.metrics:
        updates["metrics"] = dict(metrics)
    if trained_at is not None and trained_at != row.trained_at:
        updates["trained_at"] = trained_at
    return updates


def transition(
    version_row: ModelVersion,
    target: ModelStatus | str,
    *,
    actor: str,
    reason: str,
    manual: bool,
    now: datetime | None = None,
) -> ModelVersion:
    """Move a version to ``target`` (checked by ``check_transition``); return its row.

    Making a version live retires the champion of its asset group and horizon in the
    same transaction (its own transition, reason ``replaced by <version>``).

    Raises
    ------
    InvalidInput
        ``reason`` is empty.
    LifecycleError
        ``target`` is not a status, or the version may not move there (field
        ``status``; the message and ``allowed`` list where it may go).
    """
    text = _reason_check(reason)
    wanted = _status_parse(target)
    moment = _now(now)
    with transaction.atomic():
        row = _version_lock(version_row)
        _transition_check(row.status, wanted)
        if wanted is ModelStatus.LIVE:
            _promote(row, actor=actor, reason=text, manual=manual, now=moment)
        else:
            _move(row, wanted, actor=actor, reason=text, manual=manual, now=moment)
    return row


def apply_decision(
    version_row: ModelVersion,
    decision: Decision,
    *,
    config: GateConfig | None = None,
    now: datetime | None = None,
) -> ModelStatus:
    """Apply the automatic rule's verdict to a version; return the status it has afterwards.

    The version moves to ``decision.status`` (actor ``rule: <rule>``, reason the rule and
    its reasons) and keeps the decision, with what was done, in ``gates``, except:

    - when an operator made the version's last transition (``manual``), or it is
      retired (only an operator's rollback brings a retired version back): nothing moves;
    - when the decision is ``live`` and the champion of the group and horizon is another
      recipe (another ``model``), the version stays ``shadow`` unless it beats the
      champion on their shared shadow records (``challenger_gate``, built by
      :func:`~backend.forecasts.shadow.shadow_record` up to ``now``). A refit of the
      champion's own model replaces it.

    A candidate the rule decides live because its recipe served the shadow period in
    earlier periods, or is a live recipe's refit (``Decision.shadow_served``), moves
    through ``shadow`` first: two transitions, both audited. Any other live verdict for
    a candidate is refused.

    Raises
    ------
    LifecycleError
        The decision asks for a move the lifecycle does not allow.
    """
    settings = config or GateConfig()
    moment = _now(now)
    document: dict[str, Any] = {**decision.to_dict(), "decided_at": moment.isoformat()}
    with transaction.atomic():
        row = _version_lock(version_row)
        current = ModelStatus(row.status)
        target = decision.status
        held = ""
        if row.manual and target is not current:
            held = "the last transition was made by an operator; the rule does not override it"
            target = current
        elif current is ModelStatus.RETIRED and target is not current:
            held = "a retired version returns only by an operator's rollback"
            target = current
        # The walk-forward rule decides per recipe: a refit of a recipe that already served
        # its shadow period (or a live one's refit) may be decided live on first sight. It
        # goes through shadow on the way, so its history reads as the lifecycle allows.
        through_shadow = (
            current is ModelStatus.CANDIDATE
            and target is ModelStatus.LIVE
            and decision.shadow_served
        )
        if target is not current and not through_shadow:
            _transition_check(current, target)
        if target is ModelStatus.LIVE and current is not ModelStatus.LIVE:
            target, held = _challenge(row, document, settings, moment) or (target, held)
        if through_shadow:
            shadow_reason = (
                decision.shadow.detail
                if decision.shadow is not None
                else "the recipe served its shadow period before this refit"
            )
            _move(
                row,
                ModelStatus.SHADOW,
                actor=f"{RULE_ACTOR_PREFIX}{decision.rule}",
                reason=f"{decision.rule}; {shadow_reason}",
                manual=False,
                now=moment,
            )
            current = ModelStatus.SHADOW
        document["effective_status"] = target.value
        document["held"] = held or None
        if target is current:
            row.gates = document
            row.save(update_fields=["gates"])
            return current
        actor = f"{RULE_ACTOR_PREFIX}{decision.rule}"
        reason = "; ".join(dict.fromkeys((decision.rule, *decision.reasons)))
        if target is ModelStatus.LIVE:
            _promote(row, actor=actor, reason=reason, manual=False, now=moment, gates=document)
        else:
            _move(row, target, actor=actor, reason=reason, manual=False, now=moment, gates=document)
        return target


def _challenge(
    row: ModelVersion, document: dict[str, Any], settings: GateConfig, moment: datetime
) -> tuple[ModelStatus, str] | None:
    """Hold a challenger of another recipe in shadow unless it beats the champion.

    Returns the status and why when the challenger is held, ``None`` when it may go live.
    """
    champion_row = _champion_lock(
        asset_group=row.asset_group, horizon=row.horizon, other_than=row.pk
    )
    if champion_row is None or champion_row.model == row.model:
        return None
    champion_record = shadow_record(champion_row, until=moment)
    challenger_record = shadow_record(row, until=moment)
    horizon_bars = int(challenger_record.attrs.get("horizon_bars", 1))
    verdict = challenger_gate(
        champion_record, challenger_record, settings, horizon_bars=horizon_bars
    )
    document["challenger"] = {"champion": str(champion_row), **verdict.to_dict()}
    if verdict.passed:
        return None
    return ModelStatus.SHADOW, f"does not beat the champion {champion_row}: {verdict.detail}"


def rollback(
    asset_group: str,
    horizon: str,
    *,
    actor: str,
    reason: str,
    now: datetime | None = None,
) -> tuple[ModelVersion, ModelVersion]:
    """Retire the champion and make the one it replaced live again; return (retired, restored).

    The previous champion is the ``replaced`` of the champion's latest transition to
    ``live``. Both transitions are manual (the automatic rule leaves them) and audited.
    Rolling back twice restores the version rolled back from.

    Raises
    ------
    LifecycleError
        No live version in the group and horizon, no previous champion, or the previous
        champion may no longer go live (fields ``asset_group`` and ``horizon``).
    """
    text = _reason_check(reason)
    moment = _now(now)
    where = f"asset group {asset_group!r}, horizon {horizon!r}"
    with transaction.atomic():
        _group_lock(asset_group=asset_group, horizon=horizon)
        current = _champion_lock(asset_group=asset_group, horizon=horizon, other_than=None)
        if current is None:
            raise LifecycleError(
                field="asset_group",
                related=("horizon",),
                rule="no_champion",
                message=f"no live model version in {where}: nothing to roll back",
            )
        promotion = (
            current.transitions.filter(to_status=ModelStatus.LIVE.value)
            .order_by("-created_at", "-id")
            .first()
        )
        if promotion is None or promotion.replaced_id is None:
            raise LifecycleError(
                field="asset_group",
                related=("horizon",),
                rule="no_previous_champion",
                message=f"{current} is the first champion of {where}: nothing to roll back to",
            )
        previous = ModelVersion.objects.select_for_update().get(pk=promotion.replaced_id)
        if (previous.asset_group, previous.horizon) != (asset_group, horizon):
            raise LifecycleError(
                field="asset_group",
                related=("horizon",),
                rule="no_previous_champion",
                message=f"the previous champion {previous} has left {where}",
            )
        if ModelStatus.LIVE not in ALLOWED_TRANSITIONS[ModelStatus(previous.status)]:
            raise LifecycleError(
                field="asset_group",
                related=("horizon",),
                rule="no_previous_champion",
                message=f"the previous champion {previous} is {previous.status} now and "
                "cannot go live again",
            )
        _move(
            current,
            ModelStatus.RETIRED,
            actor=actor,
            reason=f"rolled back to {previous}: {text}",
            manual=True,
            now=moment,
        )
        _move(
            previous,
            ModelStatus.LIVE,
            actor=actor,
            reason=f"rollback from {current}: {text}",
            manual=True,
            now=moment,
            replaced=current,
        )
    return current, previous


def champion(asset_group: str, horizon: str) -> ModelVersion | None:
    """The live version of an asset group and horizon, or ``None``."""
    return ModelVersion.objects.filter(
        asset_group=asset_group, horizon=horizon, status=ModelStatus.LIVE.value
    ).first()
