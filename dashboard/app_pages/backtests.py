"""Backtests: imported LEAN runs, their statistics, equity and orders; import a result file."""

import streamlit as st

from dashboard.components.backtest_import import backtest_import_form
from dashboard.components.backtest_views import backtest_choice, backtest_detail, backtests_table
from dashboard.components.data import load_backtest, load_backtests
from dashboard.components.errors import backend_errors
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Backtests")

if session.may_import_backtests:
    with st.expander("Import a LEAN result file"), backend_errors():
        backtest_import_form(session)

with backend_errors():
    runs = load_backtests(identity, session)
if runs:
    backtests_table(runs)
chosen = backtest_choice(runs, key="backtests_run")
if chosen is not None:
    with backend_errors():
        detail = load_backtest(identity, session, chosen["id"])
    backtest_detail(detail)
