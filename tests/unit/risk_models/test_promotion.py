"""The model lifecycle's automatic rule over a walk-forward, without look-ahead."""

from __future__ import annotations

import pandas as pd
import pytest

from risk_models.gates import GateConfig
from risk_models.promotion import (
    ModelStatus,
    TransitionError,
    WalkForwardGate,
    check_transition,
    gate_walk_forward,
    is_tradable,
    no_live_model_reason,
    tradable_mask,
)
from tests.unit.risk_models.synthetic_records import record, walk_forward_table

FAST = GateConfig(bootstrap_samples=300)


def _statuses(decisions: list) -> list[str]:  # type: ignore[type-arg]
    return [str(item.decision.status) for item in decisions]


def test_a_skilled_recipe_goes_candidate_then_shadow_then_live() -> None:
    table = walk_forward_table(record(strength=0.3, dates=260))
    gated, decisions = gate_walk_forward(table, FAST)
    statuses = _statuses(decisions)
    # Too little evidence first, then the out-of-sample gates pass, then a month of shadow.
    assert statuses[:3] == ["candidate", "candidate", "candidate"]
    first_shadow = statuses.index("shadow")
    assert statuses[first_shadow + 1] == "live"
    assert set(statuses[first_shadow + 1 :]) == {"live"}
    live_decision = decisions[first_shadow + 1].decision
    assert live_decision.rule == "shadow period passed"
    assert live_decision.shadow is not None
    assert live_decision.shadow.passed
    assert live_decision.reasons == ()
    # Only live versions' forecasts trade.
    assert (gated["tradable"] == (gated["status"] == "live")).all()
    assert gated["tradable"].any()
    assert not gated["tradable"].all()


def test_pure_noise_never_goes_live_and_nothing_is_tradable() -> None:
    table = walk_forward_table(record(strength=0.0, dates=260, seed=9))
    gated, decisions = gate_walk_forward(table, FAST)
    assert "live" not in _statuses(decisions)
    assert not gated["tradable"].any()
    assert all(item.decision.reasons for item in decisions)


def test_a_live_recipe_that_loses_its_edge_stops_trading() -> None:
    skilled = record(strength=0.4, dates=200, seed=1)
    noise = record(strength=0.0, dates=400, seed=2, start="2015-10-09")
    table = walk_forward_table(pd.concat([skilled, noise], ignore_index=True))
    gated, decisions = gate_walk_forward(table, GateConfig(bootstrap_samples=300, window_dates=250))
    statuses = _statuses(decisions)
    assert "live" in statuses
    last_live = max(index for index, status in enumerate(statuses) if status == "live")
    assert statuses[-1] == "candidate"
    assert decisions[last_live + 1].decision.rule == "out-of-sample gates failed"
    assert not gated[gated["time"] >= decisions[-1].valid_from]["tradable"].any()


def test_decisions_do_not_depend_on_later_data() -> None:
    full = walk_forward_table(record(strength=0.3, dates=260))
    _, decisions = gate_walk_forward(full, FAST)
    for item in decisions[3:8]:
        cut = full[full["time"] <= item.valid_from]
        # The cut table's newest label ends after its last forecast: drop what is unknown.
        _, early = gate_walk_forward(cut, FAST)
        assert early[-1].version == item.version
        assert early[-1].decision.to_dict() == item.decision.to_dict()


def test_future_outcomes_changed_do_not_change_past_decisions() -> None:
    full = walk_forward_table(record(strength=0.3, dates=260))
    _, decisions = gate_walk_forward(full, FAST)
    moment = decisions[6].valid_from
    altered = full.copy()
    later = altered["label_end"] > moment
    altered.loc[later, "forward_return"] = -altered.loc[later, "forward_return"]
    altered.loc[later, "next_return"] = -altered.loc[later, "next_return"]
    _, again = gate_walk_forward(altered, FAST)
    assert [item.decision.to_dict() for item in again[:7]] == [
        item.decision.to_dict() for item in decisions[:7]
    ]


def test_a_gate_decides_each_version_once_as_the_table_grows() -> None:
    full = walk_forward_table(record(strength=0.3, dates=260))
    gate = WalkForwardGate(FAST)
    months = sorted(full["model_version"].unique())
    for month in months[4:]:
        gate.apply(full[full["model_version"] <= month])
    fresh = gate_walk_forward(full, FAST)[1]
    assert [item.to_dict() for item in gate.ordered()] == [item.to_dict() for item in fresh]


def test_a_period_refitted_under_a_new_version_id_keeps_its_decision() -> None:
    # Inside LEAN the trainer sees a sliding window: the same period comes back refitted.
    full = walk_forward_table(record(strength=0.3, dates=260))
    gate = WalkForwardGate(FAST)
    first = gate.apply(full)
    decided = len(gate.decisions)
    renamed = full.assign(model_version=full["model_version"] + "-refit")
    again = gate.apply(renamed)
    assert len(gate.decisions) == decided
    assert again["status"].tolist() == first["status"].tolist()


def test_an_old_period_first_seen_late_takes_the_status_then_in_force() -> None:
    full = walk_forward_table(record(strength=0.3, dates=260))
    gate = WalkForwardGate(FAST)
    gated = gate.apply(full)
    decided = len(gate.decisions)
    # The live period's first rows fall out of the window: it starts a few days later.
    live_month = gated.loc[gated["status"] == "live", "model_version"].iloc[0]
    rows = full["model_version"] == live_month
    shifted = full[~rows | (full["time"] > full.loc[rows, "time"].min() + pd.Timedelta(days=3))]
    shifted = shifted.assign(model_version=shifted["model_version"] + "-refit")
    again = gate.apply(shifted)
    assert len(gate.decisions) == decided
    assert set(again.loc[again["model_version"] == f"{live_month}-refit", "status"]) == {"live"}


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("candidate", "shadow", True),
        ("candidate", "live", False),
        ("shadow", "live", True),
        ("live", "retired", True),
        ("retired", "live", True),
        ("retired", "shadow", False),
        ("live", "shadow", False),
    ],
)
def test_transitions(current: str, target: str, allowed: bool) -> None:
    if allowed:
        check_transition(current, target)
        return
    with pytest.raises(TransitionError, match=f"a {current} model version cannot become"):
        check_transition(current, target)


def test_only_live_trades() -> None:
    assert [is_tradable(status) for status in ModelStatus] == [False, False, True, False]
    frame = pd.DataFrame({"tradable": [True, False, None]})
    assert tradable_mask(frame).tolist() == [True, False, True]
    assert tradable_mask(pd.DataFrame({"x": [1, 2]})).tolist() == [True, True]
    assert no_live_model_reason("AAPL") == "no live model for AAPL"
