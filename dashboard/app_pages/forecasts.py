"""Forecasts per asset and horizon on price candles (Lightweight Charts), with the table."""

import streamlit as st

from dashboard.components.data import load_catalog
from dashboard.components.errors import backend_errors
from dashboard.components.forecast_views import forecast_chart_block, forecast_table, window_start
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Forecasts")

with backend_errors():
    assets, horizons, newest = load_catalog(identity, session)
if not assets:
    st.info("No forecasts recorded yet.")
    st.stop()

columns = st.columns(3)
asset = columns[0].selectbox("Asset", assets, key="forecast_asset")
horizon = columns[1].selectbox("Horizon", horizons, key="forecast_horizon")
window = columns[2].selectbox(
    "Window", ["7 days", "30 days", "90 days", "365 days"], index=1, key="forecast_window"
)
since = window_start(newest, window)

with backend_errors():
    forecasts = forecast_chart_block(identity, session, asset, horizon, since)
forecast_table(forecasts)
