"""Signals: heatmap of assets × horizons, coloured by edge = direction × (2 × confidence − 1)."""

import streamlit as st

from dashboard.components.charts import heatmap_height, signal_heatmap_chart
from dashboard.components.data import load_signals
from dashboard.components.errors import backend_errors
from dashboard.components.frames import EDGE_CAPTION
from dashboard.components.overview_tiles import latest_signals_table
from dashboard.components.session import cache_identity, require_session

session = require_session()
st.title("Signals")

with backend_errors():
    signals = load_signals(cache_identity(session), session)
chart = signal_heatmap_chart(signals)
if chart is None:
    st.info("No signals yet.")
    st.stop()
st.caption(EDGE_CAPTION)
st.altair_chart(chart, height=heatmap_height(len({row["asset"] for row in signals})))
latest_signals_table(signals, limit=200)
