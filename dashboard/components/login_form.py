"""The login form."""

from __future__ import annotations

import streamlit as st

from dashboard.clients.errors import AuthenticationFailed, BackendUnavailable

from .session import (
    NOTICE_KEY,
    PASSWORD_FIELD_KEY,
    backend_client,
    dashboard_config,
    session_store,
)


def login_form() -> None:
    """Ask for credentials, obtain the JWT pair, remember the session."""
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(notice)
    with st.form("login"):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key=PASSWORD_FIELD_KEY)
        pressed = st.form_submit_button("Log in", type="primary")
    st.caption(f"Backend: {dashboard_config().api_url}")
    if not pressed:
        return
    try:
        session = backend_client().login(username.strip(), password)
    except AuthenticationFailed as error:
        st.error(str(error))
        return
    except BackendUnavailable as error:
        st.error(f"The backend is unavailable. {error}")
        return
    session_store(session)
    st.rerun()
