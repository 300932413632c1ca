"""Entry of the Streamlit dashboard: navigation by login state and role."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.components.environment import require_drawing_support
from dashboard.components.session import current_session, session_end

PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(
    page_title="Adaptive Trading System", page_icon=":material/candlestick_chart:", layout="wide"
)
require_drawing_support()

session = current_session()
if session is None:
    navigation = st.navigation(
        [st.Page(PAGES / "login.py", title="Log in", icon=":material/login:")]
    )
else:
    roles = ", ".join(sorted(session.roles)) or "no role"
    with st.sidebar:
        st.markdown(f"**{session.username}** · {roles}")
        if st.button("Log out"):
            session_end("You logged out.")
            st.rerun()
    navigation = st.navigation(
        {
            "Trading": [
                st.Page(
                    PAGES / "overview.py",
                    title="Overview",
                    icon=":material/dashboard:",
                    default=True,
                ),
                st.Page(
                    PAGES / "forecasts.py", title="Forecasts", icon=":material/candlestick_chart:"
                ),
                st.Page(PAGES / "signals.py", title="Signals", icon=":material/grid_view:"),
                st.Page(PAGES / "risk.py", title="Risk", icon=":material/shield:"),
                st.Page(PAGES / "models.py", title="Models", icon=":material/model_training:"),
            ],
            "Results": [
                st.Page(
                    PAGES / "performance.py", title="Performance", icon=":material/trending_up:"
                ),
                st.Page(PAGES / "backtests.py", title="Backtests", icon=":material/science:"),
            ],
            "Settings": [
                st.Page(
                    PAGES / "strategy.py", title="Strategy configuration", icon=":material/tune:"
                )
            ],
        }
    )
navigation.run()
