"""Performance: live equity, drawdown, monthly returns, statistics; beside a LEAN backtest."""

import streamlit as st

from dashboard.components.backtest_views import backtest_choice
from dashboard.components.data import load_backtests, load_performance
from dashboard.components.errors import backend_errors
from dashboard.components.performance_views import (
    comparison,
    equity_and_drawdown,
    headline_metrics,
    monthly_returns,
    statistics_block,
)
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Performance")

with backend_errors():
    live = load_performance(identity, session, None)
    runs = load_backtests(identity, session)

headline_metrics(live)
equity_and_drawdown(live)
st.subheader("Monthly returns (%)")
monthly_returns(live)
st.subheader("Statistics")
statistics_block(live)

st.subheader("Side by side with a backtest")
chosen = backtest_choice(runs, key="performance_backtest")
if chosen is not None:
    with backend_errors():
        backtest = load_performance(identity, session, chosen["id"])
    comparison(live, backtest, chosen["name"])
