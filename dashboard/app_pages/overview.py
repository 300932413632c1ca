"""Overview: equity and drawdown, the risk verdict and breakers (live), the latest signals,
the market-data feeds."""

import streamlit as st

from dashboard.components.data import load_performance, load_signals
from dashboard.components.errors import backend_errors
from dashboard.components.feed_tiles import feeds_panel
from dashboard.components.overview_tiles import latest_signals_table, live_portfolio_panel
from dashboard.components.performance_views import equity_and_drawdown
from dashboard.components.risk_tiles import live_risk_panel
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Overview")

left, right = st.columns([3, 2])
with left:
    st.subheader("Equity and drawdown")
    with backend_errors():
        performance = load_performance(identity, session, None)
    live_portfolio_panel(session, performance)
    equity_and_drawdown(performance)
with right:
    st.subheader("Risk")
    live_risk_panel(session)

st.subheader("Latest signals")
with backend_errors():
    signals = load_signals(identity, session)
latest_signals_table(signals)

st.subheader("Market-data feeds")
feeds_panel(session)
