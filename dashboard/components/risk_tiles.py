"""Tiles showing the current risk verdict and the circuit breakers."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.records import BreakerRecord, RiskCurrentRecord

from .errors import backend_errors
from .frames import utc_text, utc_times
from .session import backend_client, dashboard_config
from .tables import time_columns

STATE_COLORS: dict[str, Literal["green", "orange", "red"]] = {
    "active": "green", "reducing": "orange", "halted": "red",
}  # fmt: skip
BREAKER_LABELS = {"armed": "armed", "tripped": "TRIPPED"}


def risk_verdict_tile(risk: RiskCurrentRecord) -> None:
    """Risk factor, state and reasons."""
    factor = risk["risk_factor"]
    columns = st.columns(2)
    columns[0].metric("Risk factor", "—" if factor is None else f"{factor:.2f}")
    columns[1].metric("State", risk["state"])
    st.badge(f"state: {risk['state']}", color=STATE_COLORS.get(risk["state"], "gray"))
    reasons = ", ".join(risk["reasons"]) if risk["reasons"] else "none"
    st.caption(f"Reasons: {reasons} · decided at {utc_text(risk['timestamp'])}")


def breakers_frame(breakers: list[BreakerRecord]) -> pd.DataFrame:
    """The breakers as a table with a readable status."""
    return pd.DataFrame(
        [
            {
                "breaker": breaker["name"],
                "status": BREAKER_LABELS.get(breaker["state"], breaker["state"]),
                "since": breaker["changed_at"],
                "reason": breaker["reason"],
            }
            for breaker in breakers
        ],
        columns=["breaker", "status", "since", "reason"],
    )


def breakers_tile(breakers: list[BreakerRecord]) -> None:
    """Every breaker's status at a glance."""
    tripped = [breaker["name"] for breaker in breakers if breaker["state"] == "tripped"]
    if tripped:
        st.error(f"Tripped breakers: {', '.join(tripped)}")
    elif breakers:
        st.success("All breakers armed.")
    else:
        st.info("No breaker has tripped yet.")
    if breakers:
        st.dataframe(
            utc_times(breakers_frame(breakers), "since"),
            hide_index=True,
            column_config=time_columns("since"),
        )


def live_risk_panel(session: BackendSession) -> None:
    """Risk verdict and breakers, refreshed on their own every few seconds."""

    @st.fragment(run_every=dashboard_config().live_refresh_seconds)
    def panel() -> None:
        with backend_errors():
            risk = backend_client().risk_current(session)
        risk_verdict_tile(risk)
        breakers_tile(risk["breakers"])

    panel()
