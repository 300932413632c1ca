"""Risk factor history, state timeline and breaker trips."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.clients.records import RiskDecisionRecord
from risk_models.breakers import breakers_named

from .charts import STATE_COLORS, risk_factor_chart, state_timeline_chart, timeline_height
from .frames import records_frame, utc_times
from .tables import time_columns


def risk_history_block(history: Sequence[RiskDecisionRecord]) -> None:
    """The factor over time, the state timeline and the decisions with their reasons."""
    frame = records_frame(history)
    if frame.empty:
        st.info("No risk decisions recorded yet.")
        return
    st.subheader("Risk factor history")
    factor_chart = risk_factor_chart(history)
    if factor_chart is not None:
        st.altair_chart(factor_chart, height=240)
    st.subheader("State timeline")
    chart = state_timeline_chart(history)
    if chart is not None:
        states = len(set(frame["state"]) | set(STATE_COLORS))
        st.altair_chart(chart, height=timeline_height(states))
    table = frame.assign(reasons=frame["reasons"].map(lambda items: ", ".join(items) or "—"))
    st.dataframe(
        table[["timestamp", "risk_factor", "state", "reasons"]].iloc[::-1],
        hide_index=True,
        column_config={
            "risk_factor": st.column_config.NumberColumn(format="%.3f"),
            **time_columns("timestamp"),
        },
    )


def breaker_trips(history: Sequence[RiskDecisionRecord]) -> list[dict[str, object]]:
    """When each breaker tripped, newest first.

    The risk engine names a latched breaker in every decision until it is re-armed, so a
    trip is a decision naming a breaker that the decision before it did not name.
    """
    ordered = sorted(history, key=lambda row: pd.Timestamp(row["timestamp"]))
    trips: list[dict[str, object]] = []
    held: set[str] = set()
    for row in ordered:
        named = breakers_named(row["reasons"])
        trips.extend(
            {"timestamp": row["timestamp"], "breaker": reason, "state": row["state"],
             "risk_factor": row["risk_factor"]}
            for reason in row["reasons"]
            if reason in named - held
        )  # fmt: skip
        held = named
    return trips[::-1]


def breaker_trips_table(history: Sequence[RiskDecisionRecord]) -> None:
    """When each breaker tripped (not every decision that kept it tripped)."""
    st.subheader("Breaker trips")
    rows = breaker_trips(history)
    if not rows:
        st.caption("No breaker has tripped in this history.")
        return
    st.dataframe(
        utc_times(pd.DataFrame(rows), "timestamp"),
        hide_index=True,
        column_config={
            "risk_factor": st.column_config.NumberColumn(format="%.3f"),
            **time_columns("timestamp"),
        },
    )
