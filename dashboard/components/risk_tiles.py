"""Tiles showing the current risk verdict and the circuit breakers."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import BackendUnavailable, NotFound, PermissionDenied
from dashboard.clients.records import BreakerRecord, RiskCurrentRecord

from .errors import backend_errors
from .frames import utc_text, utc_times
from .live_tiles import live_risk_tiles
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


def polling_risk_panel(session: BackendSession) -> None:
    """Risk verdict and breakers, read from the REST API every few seconds."""

    @st.fragment(run_every=dashboard_config().live_refresh_seconds)
    def panel() -> None:
        with backend_errors():
            risk = backend_client().risk_current(session)
        risk_verdict_tile(risk)
        breakers_tile(risk["breakers"])

    panel()


def _risk_snapshot(session: BackendSession) -> RiskCurrentRecord | None:
    """The REST API's verdict, drawn until the gateway pushes one (None when unreadable)."""
    with backend_errors():  # an expired session still ends the page
        try:
            return backend_client().risk_current(session)
        except (BackendUnavailable, NotFound, PermissionDenied):
            return None  # the polling panel shows why


def live_risk_panel(session: BackendSession, *, key: str = "live_risk") -> None:
    """Risk verdict, breakers and the latest forecasts, pushed by the gateway.

    Without a gateway, or while its socket is not live, the verdict and breakers are
    polled from the REST API (``ATS_DASHBOARD_REFRESH_SECONDS``), and a line says so.
    """
    config = dashboard_config()
    if config.updates_url is None:
        st.caption(
            "Live updates are off (no gateway configured): "
            f"refreshing every {config.live_refresh_seconds:g} s."
        )
        polling_risk_panel(session)
        return
    updates_url = config.updates_url

    # A fragment: the component's reports (live, unavailable) rerun this panel only, so they
    # never override the user's navigation to another page.
    @st.fragment
    def panel() -> None:
        status = live_risk_tiles(
            updates_url=updates_url,
            session=session,
            risk=_risk_snapshot(session),
            refresh_seconds=config.live_refresh_seconds,
            show_forecasts=True,
            key=key,
        )
        if not status.live:
            polling_risk_panel(session)

    panel()
