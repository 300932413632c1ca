"""Operators re-arm a tripped breaker, giving a reason."""

from __future__ import annotations

import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import ValidationFailed
from risk_models.breakers import BREAKER_STATES

from .data import cached_reads_clear
from .session import backend_client

NOTICE_KEY = "rearm_notice"


def rearm_form(session: BackendSession) -> None:
    """Choose a breaker, say why, re-arm; the backend's errors appear under the field."""
    st.subheader("Re-arm a breaker")
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
    with st.form("rearm"):
        breaker = st.selectbox("Breaker", sorted(BREAKER_STATES), key="rearm_breaker")
        breaker_errors = st.empty()
        reason = st.text_area("Reason (required, audited)", key="rearm_reason")
        reason_errors = st.empty()
        pressed = st.form_submit_button("Re-arm", type="primary")
    if not pressed:
        return
    try:
        rearm = backend_client().rearm(session, breaker=breaker, reason=reason)
    except ValidationFailed as failure:
        for error in failure.errors:
            target = breaker_errors if error.field == "breaker" else reason_errors
            target.error(f"{error.field}: {error.message} ({error.rule})")
        return
    cached_reads_clear()
    st.session_state[NOTICE_KEY] = f"Re-armed {rearm['breaker']} (by {rearm['requested_by']})."
    st.rerun()
