"""Overview tiles: portfolio numbers and the newest signal per asset and horizon."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.records import PerformanceRecord, PortfolioRecord, SignalRecord

from .errors import backend_errors
from .frames import latest_per_pair, percent, signal_edge
from .session import backend_client, dashboard_config
from .tables import time_columns

DIRECTION_NAMES = {1: "long", -1: "short", 0: "flat"}


def portfolio_tile(portfolio: PortfolioRecord, performance: PerformanceRecord) -> None:
    """Equity, cash, drawdown of the latest snapshot and the total return."""
    latest = portfolio["latest"]
    if latest is None:
        st.info("No portfolio snapshot recorded yet.")
        return
    columns = [*st.columns(2), *st.columns(2)]
    columns[0].metric("Equity", f"{latest.get('equity', 0.0):,.2f}")
    columns[1].metric("Cash", f"{latest.get('cash', 0.0):,.2f}")
    columns[2].metric("Drawdown", percent(latest.get("drawdown"), 2))
    columns[3].metric("Total return", percent(performance["statistics"].get("total_return"), 2))


def latest_signals_table(signals: Sequence[SignalRecord], limit: int = 30) -> None:
    """The newest signal of each asset and horizon."""
    latest = latest_per_pair(signals)
    if latest.empty:
        st.info("No signals yet.")
        return
    table = latest.sort_values("timestamp", ascending=False).head(limit)
    table = table.assign(
        edge=signal_edge(table["direction"], table["confidence"]),
        direction=table["direction"].map(DIRECTION_NAMES).fillna("?"),
    )
    columns = ["asset", "horizon", "direction", "confidence", "edge", "strength", "active",
               "timestamp"]  # fmt: skip
    st.dataframe(
        table[columns],
        hide_index=True,
        column_config={
            "confidence": st.column_config.NumberColumn(format="%.3f"),
            "edge": st.column_config.NumberColumn(
                format="%+.3f", help="direction × (2 × confidence − 1): 0 is a coin flip."
            ),
            **time_columns("timestamp"),
        },
    )


def live_portfolio_panel(session: BackendSession, performance: PerformanceRecord) -> None:
    """The portfolio numbers, refreshed on their own every few seconds."""

    @st.fragment(run_every=dashboard_config().live_refresh_seconds)
    def panel() -> None:
        with backend_errors():
            portfolio = backend_client().portfolio(session, limit=1)
        portfolio_tile(portfolio, performance)

    panel()
