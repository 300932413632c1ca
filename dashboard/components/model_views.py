"""The Models page's read-only parts: champions, the versions table, one version's record."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from dashboard.clients.records import GateDecisionRecord, ModelVersionDetailRecord

from .frames import statistics_table, utc_text
from .model_frames import (
    NO_LIVE_MODEL,
    STATUS_BADGE_COLORS,
    STATUS_CELL_COLORS,
    STATUS_ORDER,
    ChampionRow,
    decided_by,
    decision_summary,
    gate_line,
    gates_frame,
    markdown_text,
    pair_label,
    transition_lines,
    version_label,
)
from .tables import TIME_FORMAT

PICK_KEY = "model_version_pick"
TABLE_KEY = "model_versions_table"
_APPLIED_ROW_KEY = "model_versions_table_applied"

NO_LIVE_EXPLAINED = (
    "Only a live version (the champion of its asset group and horizon) trades. A version "
    "goes live only after it has shown an out-of-sample edge: the promotion gates (IC "
    "t-statistic, calibration, deflated Sharpe ratio) and a shadow period. Where no version "
    "has, nothing trades there: on data without an edge that is the normal state, and the "
    "safe one, not a fault."
)


def status_badge(status: str) -> str:
    """Markdown of a coloured status label."""
    return f":{STATUS_BADGE_COLORS.get(status, 'gray')}-badge[{status}]"


def champions_block(
    rows: Sequence[ChampionRow], actions: Callable[[ChampionRow], None] | None = None
) -> None:
    """One line per asset group and horizon: its champion, or that nothing trades there.

    ``actions`` draws an operator's controls beside each line that has a champion (nothing
    for viewers): a rollback needs a champion to retire.
    """
    st.subheader("Champions")
    if not rows:
        st.info(f"No model version is registered yet: {NO_LIVE_MODEL}.")
        st.caption(NO_LIVE_EXPLAINED)
        return
    for row in rows:
        with st.container(border=True):
            if actions is None or row.champion is None:
                _champion_line(row)
                continue
            left, right = st.columns([3, 2], vertical_alignment="center")
            with left:
                _champion_line(row)
            with right:
                actions(row)
    if any(row.champion is None for row in rows):
        st.caption(NO_LIVE_EXPLAINED)


def _champion_line(row: ChampionRow) -> None:
    champion = row.champion
    if champion is None:
        st.markdown(f"**{markdown_text(row.label)}**: :gray[{NO_LIVE_MODEL}]")
        return
    since = utc_text(champion["status_changed_at"])
    st.markdown(
        f"**{markdown_text(row.label)}**: {status_badge('live')} `{version_label(champion)}` "
        f"since {since}, by {decided_by(champion['manual'])}"
    )


def versions_table(frame: pd.DataFrame) -> int | None:
    """The versions, their status coloured; return the position of the row clicked, if any."""
    st.caption(
        f"{len(frame)} versions · status: live trades; shadow is published and scored, never "
        "traded; candidate has not passed the gates; retired is out of use. Click a row for "
        "its record."
    )
    table = frame.assign(status=frame["status"].map(lambda status: [status]))
    event = st.dataframe(
        table,
        hide_index=True,
        key=TABLE_KEY,
        on_select="rerun",
        selection_mode="single-row",
        column_order=[column for column in frame.columns if column != "id"],
        column_config={
            "asset_group": st.column_config.TextColumn("group"),
            "status": st.column_config.MultiselectColumn(
                "status",
                options=list(STATUS_ORDER),
                color=[STATUS_CELL_COLORS[status] for status in STATUS_ORDER],
            ),
            "decided_by": st.column_config.TextColumn(
                "changed by", help="an operator's transition, or the automatic rule's"
            ),
            "status_changed_at": st.column_config.DatetimeColumn(
                "status changed", format=TIME_FORMAT, timezone="UTC"
            ),
        },
    )
    selected = event.selection.rows if event is not None else []
    return int(selected[0]) if selected else None


def version_picker(frame: pd.DataFrame, clicked: int | None) -> int:
    """Choose the version to show; a newly clicked table row selects its version.

    Only a change of the clicked row counts: the table keeps its selection across runs,
    and after a change of status the same row may hold another version.
    """
    ids = [int(value) for value in frame["id"]]
    newly_clicked = clicked is not None and clicked != st.session_state.get(_APPLIED_ROW_KEY)
    if newly_clicked and clicked is not None and 0 <= clicked < len(ids):
        st.session_state[PICK_KEY] = ids[clicked]
    st.session_state[_APPLIED_ROW_KEY] = clicked
    labels = {
        int(row["id"]): f"{row['model']}@{row['version']} · "
        f"{pair_label(row['asset_group'], row['horizon'])} · {row['status']}"
        for row in frame.to_dict("records")
    }
    picked: int = st.selectbox(
        "Version", ids, key=PICK_KEY, format_func=lambda value: labels.get(value, str(value))
    )
    return picked


def version_detail(detail: ModelVersionDetailRecord) -> None:
    """A version's status, gates with their numbers, reasons, shadow result and history."""
    st.subheader(version_label(detail))
    trained = f" · trained {utc_text(detail['trained_at'])}" if detail["trained_at"] else ""
    st.markdown(
        f"{status_badge(detail['status'])} "
        f"{markdown_text(pair_label(detail['asset_group'], detail['horizon']))}"
        f" · since {utc_text(detail['status_changed_at'])}, by {decided_by(detail['manual'])}"
        f"{trained}"
    )
    gates_block(detail["gates"])
    if detail["metrics"]:
        with st.expander("Training record (walk-forward, out of sample)"):
            st.dataframe(statistics_table(detail["metrics"]), hide_index=True)
    st.markdown("**Promotion history** (newest first)")
    lines = transition_lines(detail["transitions"])
    if not lines:
        st.caption("No transition yet: the version has kept the status it was registered with.")
        return
    st.markdown("\n".join(f"- {line}" for line in lines))


def gates_block(decision: GateDecisionRecord) -> None:
    """The rule's latest verdict: every gate's numbers, the reasons, shadow and challenger."""
    st.markdown("**Promotion gates**")
    st.caption(decision_summary(decision))
    if not decision or "status" not in decision:
        return
    table = gates_frame(decision)
    if not table.empty:
        st.dataframe(
            table[["verdict", "detail"]],
            hide_index=True,
            column_config={
                "verdict": st.column_config.TextColumn(
                    "gate: statistic vs threshold", help="✓ passed, ✗ failed"
                ),
                "detail": st.column_config.TextColumn(width="large"),
            },
        )
    held = decision.get("held")
    if held:
        st.warning(f"Held: {markdown_text(held)}")
    # Without a failed gate the rule's reason is its own name, already said above.
    reasons = [reason for reason in decision.get("reasons") or [] if reason != decision.get("rule")]
    if reasons:
        st.markdown(
            "The rule's reasons:\n" + "\n".join(f"- {markdown_text(reason)}" for reason in reasons)
        )
    shadow = decision.get("shadow")
    if shadow is None:
        st.markdown("Shadow period: no result (the version was not in shadow when judged).")
    else:
        st.markdown(
            f"Shadow period: `{gate_line(shadow).text}` — {markdown_text(shadow['detail'])}"
        )
    challenger = decision.get("challenger")
    if challenger is not None:
        st.markdown(
            f"Against the champion `{challenger['champion']}`: `{gate_line(challenger).text}`"
            f" — {markdown_text(challenger['detail'])}"
        )
    report = decision.get("gates")
    figures = report.get("figures") if report else None
    if figures:
        st.caption(
            "Figures: "
            + ", ".join(
                f"{name.replace('_', ' ')} {'—' if value is None else f'{value:.4g}'}"
                for name, value in figures.items()
            )
        )
