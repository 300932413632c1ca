"""Performance views: headline numbers, equity and drawdown, monthly returns, statistics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.clients.records import PerformanceRecord

from .charts import curves_chart
from .frames import (
    drawdown_from_equity,
    equity_series,
    monthly_returns_table,
    percent,
    sharpe_text,
    statistics_table,
)


def headline_metrics(performance: PerformanceRecord) -> None:
    """Total return, maximum drawdown, Sharpe ratio and final equity."""
    statistics = performance["statistics"]
    columns = st.columns(4)
    columns[0].metric("Total return", percent(statistics.get("total_return"), 2))
    columns[1].metric("Max drawdown", percent(statistics.get("max_drawdown"), 2))
    sharpe, why = sharpe_text(statistics)
    columns[2].metric("Sharpe ratio", sharpe, help=why)
    end_equity = statistics.get("end_equity")
    columns[3].metric("Equity", "—" if end_equity is None else f"{end_equity:,.2f}")


def equity_and_drawdown(performance: PerformanceRecord) -> None:
    """The equity curve and its drawdown, one above the other."""
    equity = equity_series(performance["equity_curve"])
    if equity.empty:
        st.info("No equity recorded yet.")
        return
    chart = curves_chart({"equity": equity}, title="equity")
    if chart is not None:
        st.altair_chart(chart, height=260)
    drawdown = -drawdown_from_equity(equity)
    st.area_chart(drawdown.rename("drawdown"), height=160, y_label="drawdown", color="#c62828")


def monthly_returns(performance: PerformanceRecord) -> None:
    """The calendar of monthly returns, in percent."""
    table = monthly_returns_table(equity_series(performance["equity_curve"]))
    if table.empty:
        st.caption("Not enough history for monthly returns.")
        return
    shown = (table * 100).map(lambda value: "" if pd.isna(value) else f"{value:.2f}")
    st.dataframe(shown)


def statistics_block(performance: PerformanceRecord) -> None:
    """Our statistics, and LEAN's own when the run is a backtest."""
    st.dataframe(statistics_table(performance["statistics"]), hide_index=True)
    if performance["lean_statistics"]:
        st.caption("LEAN's statistics")
        st.dataframe(statistics_table(performance["lean_statistics"]), hide_index=True)


def normalised_equity(performance: PerformanceRecord) -> pd.Series:
    """Equity divided by its first value (so runs of different size compare)."""
    equity = equity_series(performance["equity_curve"])
    return equity / equity.iloc[0] if not equity.empty and equity.iloc[0] else equity


def comparison(live: PerformanceRecord, backtest: PerformanceRecord, backtest_name: str) -> None:
    """Live trading and a backtest side by side."""
    chart = curves_chart(
        {"live": normalised_equity(live), backtest_name: normalised_equity(backtest)},
        title="equity (start = 1)",
        elapsed=True,
    )
    if chart is not None:
        st.altair_chart(chart, height=260)
    left, right = st.columns(2)
    with left:
        st.markdown("**Live**")
        st.dataframe(statistics_table(live["statistics"]), hide_index=True)
    with right:
        st.markdown(f"**{backtest_name}**")
        st.dataframe(statistics_table(backtest["statistics"]), hide_index=True)
        if backtest["lean_statistics"]:
            st.dataframe(statistics_table(backtest["lean_statistics"]), hide_index=True)
