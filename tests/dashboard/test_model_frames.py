"""Pure shaping of the model lifecycle's records and of the forecasts' tradable flag."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from dashboard.clients.errors import FieldError
from dashboard.clients.records import GateResultRecord
from dashboard.components.forecast_views import tradable_flags
from dashboard.components.model_frames import (
    NO_GROUP,
    champion_rows,
    decision_summary,
    field_error_lines,
    gate_line,
    gates_frame,
    markdown_text,
    pair_label,
    target_label,
    transition_lines,
    transition_targets,
    versions_frame,
)


def _gate(name: str, statistic: float | None, threshold: float, passed: bool,
          detail: str = "") -> GateResultRecord:  # fmt: skip
    return {"name": name, "statistic": statistic, "threshold": threshold, "passed": passed,
            "detail": detail}  # fmt: skip


def _version(model: str, version: str, group: str, horizon: str, status: str, *,
             changed: str | None = "2026-03-01T00:00:00Z", manual: bool = False,
             version_id: int = 0) -> Any:  # fmt: skip
    return {"id": version_id, "model": model, "version": version, "status": status,
            "asset_group": group, "horizon": horizon, "manual": manual,
            "status_changed_at": changed, "created_at": "2026-01-01T00:00:00Z",
            "trained_at": None}  # fmt: skip


def _transition(moment: str, source: str, target: str, actor: str, reason: str, *,
                manual: bool, transition_id: int, replaced: str | None = None) -> Any:  # fmt: skip
    return {"id": transition_id, "from_status": source, "to_status": target, "actor": actor,
            "reason": reason, "manual": manual, "created_at": moment, "replaced_id": None,
            "replaced": replaced}  # fmt: skip


@pytest.mark.parametrize(
    ("gate", "text"),
    [
        (_gate("ic_t", 0.7312, 2.0, False), "IC t 0.73 ≥ 2.00 ✗"),
        (_gate("ic_t", -1.256, 2.0, False), "IC t -1.26 ≥ 2.00 ✗"),
        (_gate("ece", 0.0312, 0.05, True), "ECE 0.031 ≤ 0.050 ✓"),
        (_gate("deflated_sharpe", 0.969, 0.95, True), "deflated Sharpe 0.97 ≥ 0.95 ✓"),
        (_gate("evidence", 84.0, 60.0, True), "resolved dates 84 ≥ 60 ✓"),
        # Too few shadow dates: the gate counts dates instead of scoring the IC.
        (_gate("shadow", 8.0, 20.0, False, "8 resolved shadow dates; 20 needed"),
         "shadow dates 8 ≥ 20 ✗"),
        (_gate("shadow", 0.12, 0.0, True, "shadow rank IC +0.1200 over 25 dates"),
         "shadow IC 0.12 ≥ 0.00 ✓"),
        (_gate("challenger", 1.5, 2.0, False, "bootstrap t 1.50; needs >= 2.00"),
         "challenger t 1.50 ≥ 2.00 ✗"),
        (_gate("challenger", 3.0, 20.0, False, "3 shared resolved dates with the champion; "
               "20 needed"), "shared dates 3 ≥ 20 ✗"),
        # A statistic the backend could not compute, and a gate the page does not know.
        (_gate("ic_t", None, 2.0, False), "IC t — ≥ 2.00 ✗"),
        (_gate("turnover", 0.5, 0.25, True), "turnover 0.50 ≥ 0.25 ✓"),
    ],
)  # fmt: skip
def test_gate_line_states_statistic_comparison_threshold_and_verdict(
    gate: GateResultRecord, text: str
) -> None:
    assert gate_line(gate).text == text


def test_gates_frame_has_one_row_per_gate_and_nothing_before_a_verdict() -> None:
    decision: Any = {
        "status": "candidate", "rule": "out-of-sample gates failed", "reasons": [],
        "gates": {"passed": False, "dates": 84, "rows": 252, "reasons": [], "figures": {},
                  "gates": [_gate("evidence", 84.0, 60.0, True, "84 dates"),
                            _gate("ic_t", 0.73, 2.0, False, "t 0.73")]},
        "shadow": None,
    }  # fmt: skip
    frame = gates_frame(decision)
    assert list(frame["verdict"]) == ["resolved dates 84 ≥ 60 ✓", "IC t 0.73 ≥ 2.00 ✗"]
    assert list(frame["threshold"]) == ["≥ 60", "≥ 2.00"]
    assert list(frame["passed"]) == [True, False]
    assert list(frame["detail"]) == ["84 dates", "t 0.73"]
    assert gates_frame({}).empty


def test_decision_summary_before_and_after_the_rule_decided() -> None:
    assert decision_summary({}) == "The automatic rule has not judged this version yet."
    decision: Any = {
        "status": "live", "rule": "shadow period passed", "decided_at": "2026-03-01T00:00:00Z",
        "effective_status": "shadow",
        "gates": {"passed": True, "dates": 412, "rows": 1236, "reasons": [], "gates": [],
                  "figures": {}},
    }  # fmt: skip
    assert decision_summary(decision) == (
        "Rule's verdict (2026-03-01 00:00:00 UTC): live — shadow period passed on 412 dates, "
        "1236 forecasts; the version stays shadow"
    )


def test_champion_rows_name_every_group_and_horizon_with_or_without_a_champion() -> None:
    versions = [
        _version("ridge", "r1", "crypto", "1d", "retired"),
        _version("ridge", "r2", "crypto", "1d", "live"),
        _version("lgbm", "a", "crypto", "4h", "candidate"),
        _version("lgbm", "b", "", "1h", "shadow"),
        _version("lgbm", "c", "crypto", "1h", "live"),
    ]
    champions = [versions[4], versions[1]]
    rows = champion_rows(versions, champions)
    assert [(row.label, row.champion and row.champion["version"]) for row in rows] == [
        (f"{NO_GROUP} · 1h", None),
        ("crypto · 1h", "c"),
        ("crypto · 4h", None),
        ("crypto · 1d", "r2"),
    ]
    assert champion_rows([], []) == []


def test_versions_frame_groups_pairs_puts_live_first_and_newest_change_first() -> None:
    versions = [
        _version("m", "old", "g", "1d", "retired", changed="2026-01-01T00:00:00Z"),
        _version("m", "new", "g", "1d", "retired", changed="2026-02-01T00:00:00Z"),
        _version("m", "cand", "g", "1d", "candidate", changed=None, manual=True),
        _version("m", "champ", "g", "1d", "live"),
        _version("m", "short", "g", "4h", "shadow"),
        _version("m", "other", "a", "1d", "candidate"),
    ]
    frame = versions_frame(versions)
    assert list(frame["version"]) == ["other", "short", "champ", "cand", "new", "old"]
    assert list(frame["decided_by"]) == ["rule", "rule", "rule", "operator", "rule", "rule"]
    assert str(frame["status_changed_at"].dt.tz) == "UTC"
    assert pd.isna(frame["status_changed_at"].iloc[3])
    assert versions_frame([]).empty


def test_transition_lines_newest_first_with_who_why_and_what_was_replaced() -> None:
    transitions = [
        _transition("2026-03-01T00:00:00Z", "candidate", "shadow",
                    "rule: out-of-sample gates passed; shadow starts",
                    "out-of-sample gates passed; shadow starts", manual=False, transition_id=1),
        _transition("2026-03-05T00:00:00Z", "shadow", "candidate",
                    "rule: out-of-sample gates failed",
                    "out-of-sample gates failed; rank IC +0.0010, bootstrap t 0.20",
                    manual=False, transition_id=2),
        _transition("2026-03-05T00:00:00Z", "candidate", "retired", "alice",
                    "cost *spikes* in $ terms", manual=True, transition_id=3,
                    replaced="ridge@r1"),
    ]  # fmt: skip
    lines = transition_lines(transitions)
    assert lines == [
        "`2026-03-05 00:00:00 UTC` · **candidate → retired** · by alice (operator): "
        "cost \\*spikes\\* in \\$ terms · replaced `ridge@r1`",
        "`2026-03-05 00:00:00 UTC` · **shadow → candidate** · by the rule "
        "“out-of-sample gates failed”: rank IC +0.0010, bootstrap t 0.20",
        "`2026-03-01 00:00:00 UTC` · **candidate → shadow** · by the rule "
        "“out-of-sample gates passed; shadow starts”",
    ]
    assert transition_lines([]) == []


def test_status_changes_offered_follow_the_lifecycle() -> None:
    assert transition_targets("candidate") == ["shadow", "retired"]
    assert transition_targets("shadow") == ["live", "candidate", "retired"]
    assert transition_targets("live") == ["candidate", "retired"]
    assert transition_targets("retired") == ["live"]
    assert transition_targets("unknown") == []
    assert target_label("shadow", "live") == "promote to live (trades; retires the champion)"
    assert target_label("retired", "live").startswith("bring back live")
    assert target_label("candidate", "retired") == "retire"


def test_one_rule_naming_two_fields_is_one_line_said_as_the_backend_said_it() -> None:
    message = "ridge@e1 is the first champion of asset group 'eq', horizon '1d': nothing"
    errors = [
        FieldError("asset_group", "no_previous_champion", message),
        FieldError("horizon", "no_previous_champion", message),
        FieldError("reason", "blank", "This field may not be blank."),
    ]
    assert field_error_lines(errors) == [
        f"asset_group, horizon: {message} (no_previous_champion)",
        "reason: This field may not be blank. (blank)",
    ]


def test_labels_and_markdown_escaping() -> None:
    assert pair_label("", "1d") == f"{NO_GROUP} · 1d"
    assert pair_label("crypto", "") == "crypto · —"
    assert markdown_text("a_b *c* [d](e) $5 <i>") == "a\\_b \\*c\\* \\[d\\](e) \\$5 \\<i\\>"


def test_forecasts_without_a_flag_are_tradable() -> None:
    flagged = pd.DataFrame({"tradable": [True, False, None]})
    assert list(tradable_flags(flagged)) == [True, False, True]
    assert list(tradable_flags(pd.DataFrame({"asset": ["A", "B"]}))) == [True, True]
