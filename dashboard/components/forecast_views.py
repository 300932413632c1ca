"""The Forecasts page's chart and table."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.clients.api import BackendSession

from .data import load_bars, load_forecasts
from .forecast_chart import LiveChartFeed, forecast_chart_html
from .frames import horizon_minutes
from .live_tiles import live_client_source
from .session import dashboard_config
from .tables import time_columns

CHART_HEIGHT = 520


def window_start(newest: str | None, window: str) -> datetime | None:
    """Start of a ``"<n> days"`` window ending at the newest forecast."""
    if newest is None:
        return None
    days = int(window.split()[0])
    end = pd.Timestamp(newest).to_pydatetime()
    return end - timedelta(days=days)


def bar_interval(horizon: str) -> str:
    """The bar size drawn under forecasts of ``horizon``: hourly below a day, else daily."""
    return "1h" if horizon_minutes(horizon) < 1440 else "1d"


def forecast_chart_block(
    identity: str, session: BackendSession, asset: str, horizon: str, since: datetime | None
) -> pd.DataFrame:
    """Draw candles with forecasts and confidence; return the forecasts drawn."""
    forecasts = load_forecasts(identity, session, asset, horizon, since)
    if forecasts.empty:
        st.info(f"No {horizon} forecasts for {asset} in this window.")
        return forecasts
    bars, bars_served = load_bars(identity, session, asset, bar_interval(horizon), since)
    if not bars_served:
        st.caption("The backend serves no price bars, so the forecasts are drawn without candles.")
    elif bars.empty:
        st.caption(f"No {bar_interval(horizon)} bars of {asset} in this window.")
    updates_url = dashboard_config().updates_url
    if updates_url is None:
        st.caption(
            "Live updates are off (no gateway configured): new forecasts show when the page "
            "is reloaded."
        )
    html = forecast_chart_html(
        bars=bars,
        forecasts=forecasts,
        horizon=timedelta(minutes=horizon_minutes(horizon)),
        height=CHART_HEIGHT,
        title=f"{asset} · {horizon}",
        live=None
        if updates_url is None
        else LiveChartFeed(
            url=updates_url,
            token=session.access_token,
            asset=asset,
            horizon=horizon,
            client_source=live_client_source(),
        ),
    )
    st.iframe(html, height=CHART_HEIGHT + 10)
    return forecasts


UNTRADABLE_LEGEND = (
    "☐ in “tradable” = not tradable: model not live (stored so its shadow record accrues; "
    "never traded)"
)


def tradable_flags(forecasts: pd.DataFrame) -> pd.Series:
    """Each forecast's ``tradable`` flag; a forecast without one (older backends) is tradable."""
    if "tradable" not in forecasts:
        return pd.Series(True, index=forecasts.index, name="tradable", dtype=bool)
    return ~forecasts["tradable"].eq(False)


def forecast_table(forecasts: pd.DataFrame) -> None:
    """The forecasts, newest first; those of a model version that is not live are marked."""
    if forecasts.empty:
        return
    columns = ["timestamp", "asset", "horizon", "prediction", "confidence", "interval_low",
               "interval_high", "model", "model_version", "tradable"]  # fmt: skip
    marked = forecasts.assign(tradable=tradable_flags(forecasts))
    table = marked[[column for column in columns if column in marked]].iloc[::-1]
    untradable = int((~table["tradable"]).sum())
    if untradable:
        st.caption(f"{len(table)} forecasts · {untradable} not tradable  \n{UNTRADABLE_LEGEND}")
    else:
        st.caption(f"{len(table)} forecasts")
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "prediction": st.column_config.NumberColumn(format="%.5f"),
            "confidence": st.column_config.NumberColumn(format="%.3f"),
            "tradable": st.column_config.CheckboxColumn(
                "tradable", help="Unticked: not tradable, the model version is not live."
            ),
            **time_columns("timestamp"),
        },
    )
