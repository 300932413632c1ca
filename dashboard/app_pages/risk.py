"""Risk: factor history with reasons, state timeline, breaker trips; operators re-arm."""

import streamlit as st

from dashboard.components.data import load_risk_history
from dashboard.components.errors import backend_errors
from dashboard.components.rearm_form import rearm_form
from dashboard.components.risk_history import breaker_trips_table, risk_history_block
from dashboard.components.risk_tiles import live_risk_panel
from dashboard.components.session import cache_identity, require_session

session = require_session()
st.title("Risk")

live_risk_panel(session)
with backend_errors():
    history = load_risk_history(cache_identity(session), session)
risk_history_block(history)
breaker_trips_table(history)
if session.is_operator:
    with backend_errors():
        rearm_form(session)
