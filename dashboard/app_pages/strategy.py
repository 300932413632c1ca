"""Strategy configuration: each key with its type and range; operators change it; history."""

import streamlit as st

from dashboard.components.config_form import strategy_config_form
from dashboard.components.config_views import config_history_table, config_read_only_table
from dashboard.components.data import load_strategy_config, load_strategy_history
from dashboard.components.errors import backend_errors
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Strategy configuration")

with backend_errors():
    entries = load_strategy_config(identity, session)
    history = load_strategy_history(identity, session)

if session.is_operator:
    with backend_errors():
        strategy_config_form(session, entries)
else:
    st.caption("Read only: changing the configuration needs the operator role.")
    config_read_only_table(entries)

st.subheader("Change history")
config_history_table(history)
