"""The model lifecycle in the backend: statuses, one champion, the rule, rollback, shadow records."""

from __future__ import annotations

import threading
from dataclasses import replace
from io import StringIO
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from backend.audit.models import AuditEvent
from backend.audit.selectors import audit_chain_verify
from backend.common.exceptions import InvalidInput
from backend.forecasts import lifecycle
from backend.forecasts.lifecycle import (
    LifecycleError,
    apply_decision,
    champion,
    register_version,
    rollback,
    transition,
)
from backend.forecasts.models import Forecast, ModelTransition, ModelVersion
from backend.forecasts.shadow import shadow_record
from backend.market.models import Bar
from risk_models.gates import GateConfig, challenger_gate
from risk_models.promotion import ModelStatus, next_status
from tests.backend.forecasts.lifecycle_support import (
    DAY,
    GROUP,
    HORIZON,
    SYMBOLS,
    T0,
    plant_market,
    promoted,
    store_forecasts,
    verdict,
    version,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db

LIVE, SHADOW, CANDIDATE, RETIRED = (
    ModelStatus.LIVE,
    ModelStatus.SHADOW,
    ModelStatus.CANDIDATE,
    ModelStatus.RETIRED,
)


def reloaded(row: ModelVersion) -> ModelVersion:
    return ModelVersion.objects.get(pk=row.pk)


# ---------------------------------------------------------------- register and the rule


def test_register_creates_a_candidate_once_and_keeps_its_group() -> None:
    row = register_version("ridge", "v1", asset_group=GROUP, horizon=HORIZON)
    assert (row.status, row.asset_group, row.horizon, row.manual) == (
        "candidate",
        GROUP,
        "1d",
        False,
    )
    again = register_version(
        "ridge", "v1", asset_group="crypto", horizon="4h", metrics={"ic": 0.04}, trained_at=T0
    )
    assert again.pk == row.pk
    assert (again.asset_group, again.horizon) == (GROUP, "1d"), "a version never changes group"
    assert (again.metrics, again.trained_at) == ({"ic": 0.04}, T0)
    assert ModelVersion.objects.count() == 1
    with pytest.raises(InvalidInput) as refused:
        register_version("ridge", "v2", asset_group=GROUP, horizon="daily")
    assert refused.value.field == "horizon"


def test_a_version_first_seen_in_a_forecast_is_a_candidate_of_its_horizon() -> None:
    store_forecasts(
        ModelVersion(model="lgbm", version="7", horizon="4h"), np.array([[0.01]]), symbols=["AAA"]
    )
    row = ModelVersion.objects.get(model="lgbm", version="7")
    assert (row.status, row.horizon, row.asset_group) == ("candidate", "4h", "")
    # The training job registers it later with its group: filled in, nothing else moves.
    register_version("lgbm", "7", asset_group=GROUP, horizon="4h")
    assert reloaded(row).asset_group == GROUP


def test_the_rule_moves_a_candidate_to_shadow_then_live_and_audits_each_step() -> None:
    row = version()
    config = GateConfig()
    first = next_status(CANDIDATE, verdict(SHADOW).gates, None, config)
    assert apply_decision(row, first, now=T0) is SHADOW
    assert apply_decision(row, verdict(LIVE), now=T0 + DAY) is LIVE
    row = reloaded(row)
    assert (row.status, row.manual, row.status_changed_at) == ("live", False, T0 + DAY)
    assert (row.gates["status"], row.gates["effective_status"]) == ("live", "live")
    assert row.gates["gates"]["gates"][0]["name"] == "evidence"
    assert champion(GROUP, HORIZON) == row
    steps = list(row.transitions.values_list("from_status", "to_status", "actor", "manual"))
    assert steps == [
        ("candidate", "shadow", "rule: out-of-sample gates passed; shadow starts", False),
        ("shadow", "live", "rule: shadow period passed", False),
    ]
    events = AuditEvent.objects.filter(action="model_status_changed").order_by("id")
    assert [(event.payload["from"], event.payload["to"]) for event in events] == [
        ("candidate", "shadow"),
        ("shadow", "live"),
    ]
    assert {event.target for event in events} == {f"model_version:{row.pk}"}
    assert audit_chain_verify() == []


def test_failing_gates_take_a_live_version_back_to_candidate() -> None:
    row = promoted(version())
    assert apply_decision(row, verdict(CANDIDATE), now=T0 + DAY) is CANDIDATE
    assert reloaded(row).status == "candidate"
    assert champion(GROUP, HORIZON) is None
    assert (
        reloaded(row).transitions.last().reason
        == "out-of-sample gates failed; 12 resolved forecast dates; 60 needed"
    )


def test_invalid_transitions_are_refused_with_the_allowed_targets() -> None:
    row = version()
    with pytest.raises(LifecycleError) as refused:
        transition(row, "live", actor="alice", reason="skip the shadow period", manual=True)
    assert (refused.value.field, refused.value.rule) == ("status", "transition")
    assert refused.value.allowed == ("retired", "shadow")
    assert "allowed: retired, shadow" in refused.value.message
    with pytest.raises(LifecycleError) as unknown:
        transition(row, "champion", actor="alice", reason="typo", manual=True)
    assert (unknown.value.field, unknown.value.rule) == ("status", "invalid_choice")
    with pytest.raises(InvalidInput) as no_reason:
        transition(row, "shadow", actor="alice", reason="  ", manual=True)
    assert no_reason.value.field == "reason"
    # The rule cannot skip the shadow period either, whether or not there is a champion:
    # a live verdict whose recipe has served no shadow period is refused.
    unserved = replace(verdict(LIVE), shadow=None, rule="asked for live")
    assert not unserved.shadow_served
    with pytest.raises(LifecycleError):
        apply_decision(row, unserved)
    assert reloaded(row).status == "candidate"
    assert ModelTransition.objects.count() == 0
    assert not AuditEvent.objects.filter(action="model_status_changed").exists()
    promoted(version("lgbm", "v1"))
    with pytest.raises(LifecycleError, match="allowed: retired, shadow"):
        apply_decision(row, unserved)
    assert reloaded(row).status == "candidate"


def test_a_refit_whose_recipe_served_its_shadow_goes_live_through_shadow() -> None:
    # The walk-forward rule decides per recipe: this month's refit of a recipe that
    # passed its shadow period earlier is decided live the first time it is seen.
    previous = promoted(version("ridge", "2024-01"))
    refit = version("ridge", "2024-02")
    assert apply_decision(refit, verdict(LIVE), now=T0 + DAY) is LIVE
    steps = list(
        ModelTransition.objects.filter(version=refit)
        .order_by("pk")
        .values_list("from_status", "to_status")
    )
    assert steps == [("candidate", "shadow"), ("shadow", "live")]
    assert reloaded(previous).status == "retired"
    assert champion(GROUP, HORIZON) == reloaded(refit)


def test_a_second_live_version_of_the_group_retires_the_first() -> None:
    first = promoted(version("ridge", "v1"))
    other_group = promoted(version("ridge", "v1-crypto", group="crypto"))
    second = version("lgbm", "v1")
    transition(second, "shadow", actor="alice", reason="reviewed", manual=True, now=T0 + DAY)
    transition(second, "live", actor="alice", reason="better", manual=True, now=T0 + 2 * DAY)
    assert (reloaded(first).status, reloaded(second).status) == ("retired", "live")
    assert reloaded(other_group).status == "live", "another group keeps its champion"
    retirement = reloaded(first).transitions.last()
    assert (retirement.to_status, retirement.reason, retirement.actor) == (
        "retired",
        "replaced by lgbm@v1",
        "alice",
    )
    promotion = reloaded(second).transitions.last()
    assert (promotion.to_status, promotion.replaced_id, promotion.manual) == (
        "live",
        first.pk,
        True,
    )
    assert (
        ModelVersion.objects.filter(asset_group=GROUP, horizon=HORIZON, status="live").count() == 1
    )


def test_a_refit_of_the_champions_model_replaces_it_by_the_rule() -> None:
    first = promoted(version("ridge", "2025-01"))
    refit = version("ridge", "2025-02")
    apply_decision(refit, verdict(SHADOW), now=T0 + DAY)
    # Same recipe as the champion: no challenger comparison (and no shadow record needed).
    assert apply_decision(refit, verdict(LIVE), now=T0 + 2 * DAY) is LIVE
    assert reloaded(first).status == "retired"
    assert "challenger" not in reloaded(refit).gates
    assert champion(GROUP, HORIZON) == refit


def test_the_database_refuses_two_live_versions_of_one_group_and_horizon() -> None:
    promoted(version("ridge", "v1"))
    second = version("lgbm", "v1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(status="live")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=second.pk).update(status="champion")
    # Another horizon of the same group may have its own champion.
    ModelVersion.objects.filter(pk=second.pk).update(status="live", horizon="4h")
    assert ModelVersion.objects.filter(status="live").count() == 2


# ---------------------------------------------------------------- operators win


def test_a_manual_retirement_is_not_undone_by_the_rule() -> None:
    row = promoted(version())
    transition(row, "retired", actor="alice", reason="bad fills", manual=True, now=T0 + DAY)
    refit_verdict = verdict(LIVE, "refit of a live model; gates passed")
    assert apply_decision(row, refit_verdict, now=T0 + 2 * DAY) is RETIRED
    row = reloaded(row)
    assert (row.status, row.manual) == ("retired", True)
    assert row.gates["effective_status"] == "retired"
    assert "operator" in row.gates["held"]
    assert row.transitions.count() == 3, "no transition by the rule"


def test_a_manual_shadow_is_not_demoted_by_the_rule() -> None:
    row = version()
    transition(row, "shadow", actor="alice", reason="watch it", manual=True)
    assert apply_decision(row, verdict(CANDIDATE)) is SHADOW
    assert reloaded(row).status == "shadow"


def test_a_version_retired_by_the_rule_comes_back_only_by_rollback() -> None:
    first = promoted(version("ridge", "v1"))
    promoted(version("ridge", "v2"), live_at=T0 + 2 * DAY)
    assert reloaded(first).status == "retired"
    assert apply_decision(first, verdict(LIVE, "refit of a live model; gates passed")) is RETIRED
    assert reloaded(first).status == "retired"


# ---------------------------------------------------------------- rollback


def test_rollback_restores_the_previous_champion_and_is_audited() -> None:
    first = promoted(version("ridge", "v1"))
    second = promoted(version("ridge", "v2"), live_at=T0 + 3 * DAY)
    transitions_before = ModelTransition.objects.count()
    events_before = AuditEvent.objects.count()
    retired, restored = rollback(
        GROUP, HORIZON, actor="alice", reason="v2 trades too often", now=T0 + 4 * DAY
    )
    assert (retired.pk, restored.pk) == (second.pk, first.pk)
    first, second = reloaded(first), reloaded(second)
    assert (first.status, first.manual) == ("live", True)
    assert (second.status, second.manual) == ("retired", True)
    assert champion(GROUP, HORIZON) == first
    new = list(ModelTransition.objects.order_by("id")[transitions_before:])
    assert [(t.version_id, t.from_status, t.to_status, t.actor) for t in new] == [
        (second.pk, "live", "retired", "alice"),
        (first.pk, "retired", "live", "alice"),
    ]
    assert new[1].replaced_id == second.pk
    assert all("v2 trades too often" in item.reason for item in new)
    events = list(AuditEvent.objects.order_by("id")[events_before:])
    assert [(e.action, e.actor, e.payload["to"]) for e in events] == [
        ("model_status_changed", "alice", "retired"),
        ("model_status_changed", "alice", "live"),
    ]
    assert audit_chain_verify() == []
    # The rule leaves the operator's choice alone; a second rollback goes back again.
    assert apply_decision(first, verdict(CANDIDATE)) is LIVE
    rollback(GROUP, HORIZON, actor="bob", reason="v2 was fine after all")
    assert (reloaded(first).status, reloaded(second).status) == ("retired", "live")


def test_rollback_without_a_previous_champion_fails_clearly() -> None:
    with pytest.raises(LifecycleError) as nothing:
        rollback(GROUP, HORIZON, actor="alice", reason="no champion yet")
    assert (nothing.value.field, nothing.value.related, nothing.value.rule) == (
        "asset_group",
        ("horizon",),
        "no_champion",
    )
    only = promoted(version())
    with pytest.raises(LifecycleError) as first_champion:
        rollback(GROUP, HORIZON, actor="alice", reason="undo")
    assert first_champion.value.rule == "no_previous_champion"
    assert "ridge@v1 is the first champion" in first_champion.value.message
    assert reloaded(only).status == "live"
    assert not ModelTransition.objects.filter(actor="alice").exists()


def test_rollback_refuses_a_previous_champion_that_became_a_candidate() -> None:
    first = promoted(version("ridge", "v1"))
    promoted(version("ridge", "v2"), live_at=T0 + 2 * DAY)
    # Shown the door without a rollback: retired -> live is the only way back, and it
    # must still be retired.
    ModelVersion.objects.filter(pk=first.pk).update(status="candidate")
    with pytest.raises(LifecycleError, match="is candidate now"):
        rollback(GROUP, HORIZON, actor="alice", reason="undo")


def test_model_rollback_command_rolls_back_and_fails_when_there_is_nothing_to_roll_back() -> None:
    first = promoted(version("ridge", "v1"))
    second = promoted(version("ridge", "v2"), live_at=T0 + 2 * DAY)
    out = StringIO()
    call_command(
        "model_rollback",
        "--asset-group", GROUP, "--horizon", HORIZON, "--reason", "drawdown", "--actor", "ops",
        stdout=out,
    )  # fmt: skip
    assert f"{GROUP} 1d: ridge@v2 retired, ridge@v1 live again" in out.getvalue()
    assert (reloaded(first).status, reloaded(second).status) == ("live", "retired")
    assert reloaded(first).transitions.last().actor == "ops"
    with pytest.raises(CommandError, match="nothing rolled back: no live model version"):
        call_command(
            "model_rollback", "--asset-group", "crypto", "--horizon", "1d", "--reason", "x"
        )
    listing = StringIO()
    call_command("model_status", stdout=listing)
    lines = listing.getvalue().splitlines()
    assert lines[0].split() == ["version", "status", "asset", "group", "horizon", "since"]
    assert any(line.startswith("ridge@v1") and "live (manual)" in line for line in lines)
    live_only = StringIO()
    call_command("model_status", "--status", "retired", stdout=live_only)
    assert [line.split()[0] for line in live_only.getvalue().splitlines()[1:]] == ["ridge@v2"]


# ---------------------------------------------------------------- shadow records


def test_shadow_record_scores_only_shadow_and_live_forecasts_with_known_outcomes() -> None:
    closes = [100.0, 101.0, 99.0, 102.0, 104.0, 103.0, 105.0, 107.0, 106.0, 108.0, 110.0]
    Bar.objects.bulk_create(
        Bar(asset="AAA", interval="1d", timestamp=T0 + day * DAY, open=c, high=c, low=c,
            close=c, volume=1.0)
        for day, c in enumerate(closes)
    )  # fmt: skip
    row = version("ridge", "v1", horizon="2d")
    apply_decision(row, verdict(SHADOW), now=T0 + 2 * DAY)
    apply_decision(row, verdict(CANDIDATE), now=T0 + 5 * DAY)
    apply_decision(row, verdict(SHADOW), now=T0 + 7 * DAY)
    # One forecast a day (prediction = its day), one between bars, one of another horizon.
    store_forecasts(row, np.arange(1.0, 11.0).reshape(-1, 1), first_day=1, symbols=["AAA"])
    store_forecasts(
        ModelVersion(model="ridge", version="v1", horizon="1d"), np.array([[9.0]]), first_day=3,
        symbols=["AAA"],
    )  # fmt: skip
    Forecast.objects.create(
        message_id="half-day", asset="AAA", horizon="2d", prediction=3.5, confidence=0.7,
        timestamp=T0 + 3.5 * DAY, model="ridge", model_version=row, tradable=False,
    )  # fmt: skip
    record = shadow_record(reloaded(row), until=T0 + 10 * DAY)
    assert list(record.columns) == [
        "time", "symbol", "prediction", "confidence", "forward_return", "next_return",
    ]  # fmt: skip
    # Shadow from day 2 to 5 and from day 7; outcomes need the bar two days on (<= day 10).
    assert record["prediction"].tolist() == [2.0, 3.0, 3.5, 4.0, 7.0, 8.0]
    day = {2: 2, 3: 3, 3.5: 3, 4: 4, 7: 7, 8: 8}
    target = {2: 4, 3: 5, 3.5: 6, 4: 6, 7: 9, 8: 10}
    for _, item in record.iterrows():
        base = closes[day[item["prediction"]]]
        assert item["forward_return"] == pytest.approx(
            closes[target[item["prediction"]]] / base - 1
        )
        assert item["next_return"] == pytest.approx(closes[day[item["prediction"]] + 1] / base - 1)
    assert (record.attrs["horizon_bars"], record.attrs["interval"]) == (2, "1d")
    assert str(record["time"].dt.tz) == "UTC"
    earlier = shadow_record(reloaded(row), until=T0 + 5 * DAY)
    assert earlier["prediction"].tolist() == [2.0, 3.0], "outcomes known by day 5 only"


def test_shadow_record_of_a_candidate_is_empty() -> None:
    row = version()
    plant_market(days=5, seed=1)
    store_forecasts(row, np.ones((3, len(SYMBOLS))))
    record = shadow_record(row, until=T0 + 5 * DAY)
    assert record.empty
    assert "forward_return" in record.columns


# ---------------------------------------------------------------- champion and challenger

SHADOW_DAYS = 60


def _champion_and_challenger(
    champion_predictions: np.ndarray, challenger_predictions: np.ndarray
) -> tuple[ModelVersion, ModelVersion]:
    holder = promoted(version("ridge", "v1"), live_at=T0)
    challenger = version("lgbm", "v1")
    apply_decision(challenger, verdict(SHADOW), now=T0)
    store_forecasts(holder, champion_predictions, tradable=True)
    store_forecasts(challenger, challenger_predictions)
    return holder, challenger


def test_a_challenger_better_only_by_chance_stays_in_shadow() -> None:
    planted = plant_market(days=SHADOW_DAYS + 1, seed=11)
    rng = np.random.default_rng(12)
    known = planted[2 : SHADOW_DAYS + 2]  # a forecast at day d knows the signal of d + 1
    holder, challenger = _champion_and_challenger(
        known + rng.standard_normal(known.shape), known + rng.standard_normal(known.shape)
    )
    until = T0 + (SHADOW_DAYS + 1) * DAY
    records = [shadow_record(reloaded(row), until=until) for row in (holder, challenger)]
    assert [len(record) for record in records] == [SHADOW_DAYS * len(SYMBOLS)] * 2
    assert apply_decision(challenger, verdict(LIVE), now=until) is SHADOW
    assert (reloaded(holder).status, reloaded(challenger).status) == ("live", "shadow")
    gates = reloaded(challenger).gates
    assert (gates["status"], gates["effective_status"]) == ("live", "shadow")
    assert gates["challenger"]["champion"] == "ridge@v1"
    assert gates["challenger"]["passed"] is False
    assert gates["challenger"]["statistic"] < GateConfig().min_challenger_t
    assert "does not beat the champion ridge@v1" in gates["held"]
    assert reloaded(challenger).transitions.count() == 1, "still the one move into shadow"
    # Both have skill: each alone would clear the shadow gate.
    assert next_status(SHADOW, verdict(SHADOW).gates, records[1], GateConfig()).status is LIVE


def test_a_clearly_better_challenger_replaces_the_champion() -> None:
    planted = plant_market(days=SHADOW_DAYS + 1, seed=21)
    rng = np.random.default_rng(22)
    known = planted[2 : SHADOW_DAYS + 2]
    holder, challenger = _champion_and_challenger(
        rng.standard_normal(known.shape), known + 0.1 * rng.standard_normal(known.shape)
    )
    until = T0 + (SHADOW_DAYS + 1) * DAY
    expected = challenger_gate(
        shadow_record(reloaded(holder), until=until),
        shadow_record(reloaded(challenger), until=until),
    )
    assert expected.passed
    assert apply_decision(challenger, verdict(LIVE), now=until) is LIVE
    assert (reloaded(holder).status, reloaded(challenger).status) == ("retired", "live")
    gates = reloaded(challenger).gates
    assert gates["challenger"]["passed"] is True
    assert gates["challenger"]["statistic"] == pytest.approx(expected.statistic)
    assert reloaded(holder).transitions.last().reason == "replaced by lgbm@v1"
    assert reloaded(challenger).transitions.last().replaced_id == holder.pk


def test_a_challenger_without_a_shared_shadow_period_stays_in_shadow() -> None:
    promoted(version("ridge", "v1"))
    challenger = version("lgbm", "v1")
    apply_decision(challenger, verdict(SHADOW), now=T0)
    assert apply_decision(challenger, verdict(LIVE), now=T0 + DAY) is SHADOW
    assert "0 shared resolved dates" in reloaded(challenger).gates["challenger"]["detail"]


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_concurrent_promotions_of_one_group_leave_one_champion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = version("ridge", "v1"), version("lgbm", "v1")
    for row in (first, second):
        transition(row, "shadow", actor="alice", reason="review", manual=True)
    inside = threading.Event()
    real_champion_lock = lifecycle._champion_lock

    def other_session_waits() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                " AND classid = %s AND objsubid = 2",
                [lifecycle._LIFECYCLE_LOCK_CLASS],
            )
            return bool(cursor.fetchone()[0])

    def champion_lock_held_until_the_other_waits(**kwargs: Any) -> Any:
        if threading.current_thread().name == "first":
            inside.set()
            # The second promotion must queue behind this one on the group's lock.
            assert wait_until(other_session_waits, timeout=10)
        return real_champion_lock(**kwargs)

    monkeypatch.setattr(lifecycle, "_champion_lock", champion_lock_held_until_the_other_waits)
    errors: list[BaseException] = []

    def promote(row: ModelVersion, started: threading.Event | None) -> None:
        try:
            if started is not None:
                assert started.wait(timeout=10)
            transition(row, "live", actor="alice", reason="race", manual=True)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=promote, args=(first, None), name="first"),
        threading.Thread(target=promote, args=(second, inside), name="second"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert (reloaded(first).status, reloaded(second).status) == ("retired", "live")
    assert reloaded(second).transitions.last().replaced_id == first.pk
