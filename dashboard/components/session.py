"""Streamlit glue: the shared backend client, the user's session, login and logout."""

from __future__ import annotations

import streamlit as st

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.config import DashboardConfig, dashboard_config_from_environment

SESSION_KEY = "backend_session"
NOTICE_KEY = "login_notice"


def dashboard_config() -> DashboardConfig:
    """The configuration from the environment."""
    return dashboard_config_from_environment()


@st.cache_resource(show_spinner=False)
def _shared_client(api_url: str, timeout_seconds: float) -> BackendClient:
    return BackendClient(base_url=api_url, timeout_seconds=timeout_seconds)


def backend_client() -> BackendClient:
    """The client for the configured backend, shared by every user (it holds no tokens)."""
    config = dashboard_config()
    return _shared_client(config.api_url, config.request_timeout_seconds)


def current_session() -> BackendSession | None:
    """The logged-in user's session, or None."""
    session = st.session_state.get(SESSION_KEY)
    return session if isinstance(session, BackendSession) else None


def require_session() -> BackendSession:
    """The logged-in user's session; stop the page when nobody is logged in."""
    session = current_session()
    if session is None:
        st.warning("Log in first.")
        st.stop()
    assert session is not None  # st.stop() does not return
    return session


PASSWORD_FIELD_KEY = "login_password"


def session_store(session: BackendSession) -> None:
    """Remember the user after a successful login (and forget the typed password)."""
    st.session_state[SESSION_KEY] = session
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state.pop(PASSWORD_FIELD_KEY, None)


def session_end(notice: str = "") -> None:
    """Forget the user; ``notice`` is shown on the login page."""
    st.session_state.pop(SESSION_KEY, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def cache_identity(session: BackendSession) -> str:
    """Key under which a user's cached reads are stored."""
    return f"{dashboard_config().api_url}|{session.username}"
