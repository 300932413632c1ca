"""Imported backtests: the list, a chooser, one run's statistics, equity and orders."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.clients.records import BacktestDetailRecord, BacktestSummaryRecord

from .charts import curves_chart
from .frames import drawdown_from_equity, equity_series, statistics_table, utc_text, utc_times
from .tables import time_columns


def backtest_label(run: BacktestSummaryRecord) -> str:
    """``"#3 · name (imported 2026-01-02)"``."""
    return f"#{run['id']} · {run['name']} (imported {run['imported_at'][:10]})"


def backtest_choice(
    runs: Sequence[BacktestSummaryRecord], *, key: str
) -> BacktestSummaryRecord | None:
    """A select box of runs; None when none is imported."""
    if not runs:
        st.info("No backtest imported yet.")
        return None
    by_label = {backtest_label(run): run for run in runs}
    label = st.selectbox("Backtest", list(by_label), key=key)
    return by_label[label] if label is not None else None


def backtests_table(runs: Sequence[BacktestSummaryRecord]) -> None:
    """Every imported run with a few of LEAN's statistics."""
    rows = [
        {
            "id": run["id"],
            "name": run["name"],
            "format": run["source_format"],
            "imported": run["imported_at"],
            "by": run["imported_by"],
            "orders": run["order_count"],
            "equity points": run["equity_point_count"],
            "net profit": run["statistics"].get("Net Profit", "—"),
            "drawdown": run["statistics"].get("Drawdown", "—"),
            "sharpe": run["statistics"].get("Sharpe Ratio", "—"),
        }
        for run in runs
    ]
    st.dataframe(
        utc_times(pd.DataFrame(rows), "imported"),
        hide_index=True,
        column_config=time_columns("imported"),
    )


def backtest_detail(run: BacktestDetailRecord) -> None:
    """Statistics, equity curve with drawdown, and orders of one run."""
    equity = equity_series(run["equity_curve"])
    st.caption(
        f"{utc_text(run['started_at'])} → {utc_text(run['ended_at'])} · format {run['source_format']}"
    )
    if equity.empty:
        st.info("This run has no equity curve.")
    else:
        chart = curves_chart({"equity": equity}, title="equity")
        if chart is not None:
            st.altair_chart(chart, height=260)
        st.area_chart(
            -drawdown_from_equity(equity), height=140, y_label="drawdown", color="#c62828"
        )
    left, right = st.columns(2)
    with left:
        st.markdown("**Statistics**")
        st.dataframe(statistics_table(run["statistics"]), hide_index=True)
    with right:
        st.markdown("**Runtime statistics**")
        st.dataframe(statistics_table(run["runtime_statistics"]), hide_index=True)
    st.markdown(f"**Orders** ({len(run['orders'])})")
    if run["orders"]:
        st.dataframe(pd.DataFrame(run["orders"]), hide_index=True)
