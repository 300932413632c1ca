"""Operators' actions on the Models page: roll a champion back, change a version's status.

Each asks for a reason (audited by the backend). The backend's refusals (400: which field and
rule, 403, 404) are shown as it words them; after a success the cached reads are cleared
and the page runs again.
"""

from __future__ import annotations

import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import NotFound, PermissionDenied, ValidationFailed
from dashboard.clients.records import ModelVersionDetailRecord

from .data import cached_reads_clear
from .model_frames import (
    ChampionRow,
    field_error_lines,
    markdown_text,
    target_label,
    transition_targets,
    version_label,
)
from .model_views import PICK_KEY
from .session import backend_client

NOTICE_KEY = "models_notice"
TRANSITION_STATUS_KEY = "model_transition_status"
TRANSITION_REASON_KEY = "model_transition_reason"


def rollback_keys(row: ChampionRow) -> tuple[str, str, str]:
    """Widget keys of one group and horizon's rollback: form, reason, button."""
    suffix = f"{row.asset_group}::{row.horizon}"
    return f"rollback::{suffix}", f"rollback_reason::{suffix}", f"rollback_submit::{suffix}"


def refusal_lines(error: ValidationFailed | PermissionDenied | NotFound) -> list[str]:
    """What the backend said when it refused, verbatim."""
    if isinstance(error, ValidationFailed):
        return field_error_lines(error.errors)
    if isinstance(error, PermissionDenied):
        return [f"Not allowed: {error}"]
    return [f"Not found: {error}"]


def show_notice() -> None:
    """The outcome of the last action, once."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)


def rollback_control(session: BackendSession, row: ChampionRow) -> None:
    """Roll the champion of ``row`` back to the one it replaced, with a reason."""
    form_key, reason_key, submit_key = rollback_keys(row)
    with st.expander(f"Roll back {row.label}"), st.form(form_key, border=False):
        reason = st.text_input(
            "Reason (required, audited)",
            key=reason_key,
            placeholder="why the previous champion should trade again",
        )
        pressed = st.form_submit_button("Roll back", key=submit_key, type="primary")
    errors = st.empty()
    if not pressed:
        return
    try:
        outcome = backend_client().model_rollback(
            session, asset_group=row.asset_group, horizon=row.horizon, reason=reason
        )
    except (ValidationFailed, PermissionDenied, NotFound) as refusal:
        errors.error("\n\n".join(markdown_text(line) for line in refusal_lines(refusal)))
        return
    cached_reads_clear()
    restored = outcome["restored"]
    st.session_state[NOTICE_KEY] = (
        f"Rolled back {row.label}: {version_label(outcome['retired'])} retired, "
        f"{version_label(restored)} live again."
    )
    st.session_state[PICK_KEY] = restored["id"]
    st.session_state.pop(reason_key, None)
    st.rerun()


def status_change_form(session: BackendSession, detail: ModelVersionDetailRecord) -> None:
    """Move the shown version to another status the lifecycle allows, with a reason."""
    st.markdown("**Change its status**")
    current = detail["status"]
    targets = transition_targets(current)
    if not targets:
        st.caption(f"A {current} version cannot change status.")
        return
    with st.form("model_transition"):
        target = st.selectbox(
            "New status",
            targets,
            key=TRANSITION_STATUS_KEY,
            format_func=lambda status: f"{status}: {target_label(current, status)}",
        )
        reason = st.text_input("Reason (required, audited)", key=TRANSITION_REASON_KEY)
        pressed = st.form_submit_button("Change status", type="primary")
    errors = st.empty()
    if not pressed:
        return
    try:
        changed = backend_client().model_transition(
            session, detail["id"], status=target, reason=reason
        )
    except (ValidationFailed, PermissionDenied, NotFound) as refusal:
        errors.error("\n\n".join(markdown_text(line) for line in refusal_lines(refusal)))
        return
    cached_reads_clear()
    st.session_state[NOTICE_KEY] = (
        f"{version_label(changed)}: {current} → {changed['status']} (by {session.username})."
    )
    st.session_state.pop(TRANSITION_REASON_KEY, None)
    st.rerun()
