"""Pure shaping of the model lifecycle's records: champions, versions, gates, transitions."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.clients.errors import FieldError
from dashboard.clients.records import (
    GateDecisionRecord,
    GateResultRecord,
    ModelTransitionRecord,
    ModelVersionRecord,
)
from risk_models.promotion import ALLOWED_TRANSITIONS, ModelStatus

from .frames import horizon_minutes, utc_text, utc_times

STATUS_ORDER = ("live", "shadow", "candidate", "retired")
"""Statuses in the order the page lists them: what trades first."""

STATUS_BADGE_COLORS = {"live": "green", "shadow": "blue", "candidate": "orange", "retired": "gray"}
"""``st.badge`` colour of each status."""

STATUS_CELL_COLORS = {
    "live": "#21c35480",
    "shadow": "#1c83e180",
    "candidate": "#ffa42180",
    "retired": "#80849566",
}
"""Colour of each status label in the versions table (translucent: readable in both themes)."""

NO_GROUP = "(no group)"
RULE_ACTOR_PREFIX = "rule: "
"""How the backend names the automatic rule as a transition's actor."""
NO_LIVE_MODEL = "no live model — nothing trades"

# Gates whose statistic must stay at or below the threshold; every other gate needs at least it.
_UPPER_BOUND_GATES = frozenset({"ece"})
# Gates that count resolved dates (or do so while too few dates are known).
_COUNT_GATES = frozenset({"evidence"})
_COUNTING_WHEN_SHORT = frozenset({"shadow", "challenger"})
_GATE_LABELS = {
    "evidence": "resolved dates",
    "ic_t": "IC t",
    "ece": "ECE",
    "deflated_sharpe": "deflated Sharpe",
    "shadow": "shadow IC",
    "challenger": "challenger t",
}
_COUNT_LABELS = {"shadow": "shadow dates", "challenger": "shared dates"}
_DECIMALS = {"ece": 3}


_MARKDOWN_SPECIALS = "\\`*_[]<>#|~$"


def markdown_text(text: str) -> str:
    """``text`` shown as written in Streamlit Markdown (no emphasis, links, HTML or LaTeX)."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIALS else char for char in text)


def group_label(asset_group: str) -> str:
    """An asset group's name, or ``(no group)`` for versions registered without one."""
    return asset_group or NO_GROUP


def pair_label(asset_group: str, horizon: str) -> str:
    """``"crypto · 1h"``."""
    return f"{group_label(asset_group)} · {horizon or '—'}"


def version_label(record: Mapping[str, object]) -> str:
    """``"lightgbm@v3"``."""
    return f"{record['model']}@{record['version']}"


def status_rank(status: str) -> int:
    """Position of ``status`` in :data:`STATUS_ORDER` (unknown statuses last)."""
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


def decided_by(manual: bool) -> str:
    """Who made a version's latest transition: an operator (``manual``) or the automatic rule."""
    return "operator" if manual else "rule"


@dataclass(frozen=True)
class ChampionRow:
    """One asset group and horizon and its live version (``None``: nothing trades there)."""

    asset_group: str
    horizon: str
    champion: ModelVersionRecord | None

    @property
    def label(self) -> str:
        """``"crypto · 1h"``."""
        return pair_label(self.asset_group, self.horizon)


def _pair_key(pair: tuple[str, str]) -> tuple[str, int, str]:
    return pair[0], horizon_minutes(pair[1]), pair[1]


def champion_rows(
    versions: Sequence[ModelVersionRecord], champions: Sequence[ModelVersionRecord]
) -> list[ChampionRow]:
    """Every asset group and horizon that has a version, with its champion or ``None``.

    Sorted by group, then horizon from the shortest.
    """
    live = {(row["asset_group"], row["horizon"]): row for row in champions}
    pairs = {(row["asset_group"], row["horizon"]) for row in versions} | set(live)
    return [
        ChampionRow(asset_group=pair[0], horizon=pair[1], champion=live.get(pair))
        for pair in sorted(pairs, key=_pair_key)
    ]


VERSION_COLUMNS = ("model", "version", "asset_group", "horizon", "status", "status_changed_at",
                   "decided_by", "id")  # fmt: skip


def versions_frame(versions: Sequence[ModelVersionRecord]) -> pd.DataFrame:
    """One row per version: grouped by asset group and horizon, live first, newest change first.

    ``status_changed_at`` is a UTC datetime; ``decided_by`` says whether an operator or the
    rule made the latest transition.
    """
    if not versions:
        return pd.DataFrame(columns=list(VERSION_COLUMNS))
    frame = utc_times(pd.DataFrame(list(versions)), "status_changed_at")
    frame = frame.assign(
        asset_group=frame["asset_group"].map(group_label),
        decided_by=frame["manual"].map(decided_by),
        _group=frame["asset_group"],
        _horizon=frame["horizon"].map(horizon_minutes),
        _status=frame["status"].map(status_rank),
        _changed=frame["status_changed_at"].fillna(pd.Timestamp(0, tz="UTC")),
    )
    frame = frame.sort_values(
        ["_group", "_horizon", "horizon", "_status", "_changed", "model", "version"],
        ascending=[True, True, True, True, False, True, True],
        kind="stable",
    )
    return frame[list(VERSION_COLUMNS)].reset_index(drop=True)


def _number(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


@dataclass(frozen=True)
class GateLine:
    """One gate as the page states it: ``IC t 0.73 ≥ 2.00 ✗``."""

    label: str
    statistic: str
    comparator: str
    threshold: str
    passed: bool

    @property
    def mark(self) -> str:
        """``✓`` or ``✗``."""
        return "✓" if self.passed else "✗"

    @property
    def text(self) -> str:
        """The whole verdict on one line."""
        return f"{self.label} {self.statistic} {self.comparator} {self.threshold} {self.mark}"


def _counts_dates(gate: GateResultRecord) -> bool:
    if gate["name"] in _COUNT_GATES:
        return True
    # The shadow and challenger gates count dates while too few are known ("… dates; 20
    # needed"): the threshold is then the number of dates needed, not a statistic's bound.
    return gate["name"] in _COUNTING_WHEN_SHORT and gate["detail"].endswith(" needed")


def gate_line(gate: GateResultRecord) -> GateLine:
    """The gate's statistic, comparison and threshold, formatted for reading.

    Counts of dates are whole numbers; ECE has three decimals, the rest two. A statistic
    the backend could not compute (``None``: not finite) is ``—``.
    """
    name = gate["name"]
    counting = _counts_dates(gate)
    decimals = 0 if counting else _DECIMALS.get(name, 2)
    label = (_COUNT_LABELS.get(name) if counting else None) or _GATE_LABELS.get(name, name)
    statistic = gate["statistic"]
    statistic_text = (
        "—"
        if statistic is None or not math.isfinite(statistic)
        else _number(float(statistic), decimals)
    )
    return GateLine(
        label=label,
        statistic=statistic_text,
        comparator="≤" if name in _UPPER_BOUND_GATES else "≥",
        threshold=_number(float(gate["threshold"]), decimals),
        passed=bool(gate["passed"]),
    )


GATE_COLUMNS = ("gate", "statistic", "threshold", "verdict", "passed", "detail")


def gates_frame(decision: GateDecisionRecord) -> pd.DataFrame:
    """One row per out-of-sample gate: label, statistic and threshold as text, the verdict line."""
    report = decision.get("gates")
    gates = report["gates"] if report else []
    rows = []
    for gate in gates:
        line = gate_line(gate)
        rows.append(
            {"gate": line.label, "statistic": line.statistic,
             "threshold": f"{line.comparator} {line.threshold}", "verdict": line.text,
             "passed": line.passed, "detail": gate["detail"]}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=list(GATE_COLUMNS))


def _why(item: ModelTransitionRecord) -> str:
    """Who moved the version and why; the rule's name is said once, not twice."""
    actor, reason = item["actor"], item["reason"]
    if item["manual"] or not actor.startswith(RULE_ACTOR_PREFIX):
        return f"by {markdown_text(actor)} ({decided_by(item['manual'])}): {markdown_text(reason)}"
    rule = actor.removeprefix(RULE_ACTOR_PREFIX)
    rest = reason[len(rule) + 2 :] if reason.startswith(f"{rule}; ") else reason
    if reason == rule:
        rest = ""
    return f"by the rule “{markdown_text(rule)}”" + (f": {markdown_text(rest)}" if rest else "")


def transition_lines(transitions: Sequence[ModelTransitionRecord]) -> list[str]:
    """A version's promotion history, newest first, one Markdown line per transition.

    ``2026-03-21 23:00:00 UTC · shadow → live · by alice (operator): why · replaced ridge@r1``;
    the rule's transitions read ``by the rule “<rule>”: <its reasons>``.
    """
    ordered = sorted(
        transitions,
        key=lambda item: (pd.Timestamp(item["created_at"]), item["id"]),
        reverse=True,
    )
    lines = []
    for item in ordered:
        replaced = f" · replaced `{item['replaced']}`" if item["replaced"] else ""
        lines.append(
            f"`{utc_text(item['created_at'])}` · **{item['from_status']} → {item['to_status']}**"
            f" · {_why(item)}{replaced}"
        )
    return lines


def transition_targets(status: str) -> list[str]:
    """Where a version in ``status`` may move (the lifecycle's rule), in :data:`STATUS_ORDER`."""
    try:
        allowed = ALLOWED_TRANSITIONS[ModelStatus(status)]
    except ValueError:
        return []
    return sorted((str(target) for target in allowed), key=status_rank)


_TARGET_WORDS = {
    ("candidate", "shadow"): "promote to shadow (published and scored, not traded)",
    ("shadow", "live"): "promote to live (trades; retires the champion)",
    ("retired", "live"): "bring back live (trades; retires the champion)",
    ("shadow", "candidate"): "demote to candidate",
    ("live", "candidate"): "demote to candidate (stops trading)",
    ("live", "retired"): "retire (stops trading)",
}


def target_label(current: str, target: str) -> str:
    """What moving from ``current`` to ``target`` means, for the status change's choices."""
    return _TARGET_WORDS.get((current, target), "retire" if target == "retired" else target)


def field_error_lines(errors: Sequence[FieldError]) -> list[str]:
    """The backend's field errors as lines, verbatim; one rule naming several fields is one line.

    ``asset_group: … (no_previous_champion)`` and ``horizon: …`` with the same message
    become ``asset_group, horizon: … (no_previous_champion)``.
    """
    grouped: dict[tuple[str, str], list[str]] = {}
    for error in errors:
        grouped.setdefault((error.message, error.rule), []).append(error.field)
    return [
        f"{', '.join(fields)}: {message} ({rule})" for (message, rule), fields in grouped.items()
    ]


def decision_summary(decision: GateDecisionRecord) -> str:
    """One line on the rule's latest verdict, or that the rule has not judged the version."""
    if not decision or "status" not in decision:
        return "The automatic rule has not judged this version yet."
    report = decision.get("gates")
    evidence = f" on {report['dates']} dates, {report['rows']} forecasts" if report else ""
    when = decision.get("decided_at")
    moment = f" ({utc_text(when)})" if when else ""
    verdict = f"Rule's verdict{moment}: {decision['status']} — {decision.get('rule', '')}{evidence}"
    effective = decision.get("effective_status")
    if effective and effective != decision["status"]:
        verdict += f"; the version stays {effective}"
    return verdict
