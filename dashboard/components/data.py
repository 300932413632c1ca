"""Cached reads of the backend (``st.cache_data`` with a TTL), keyed by backend and user."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import NotFound
from dashboard.clients.records import (
    BacktestDetailRecord,
    BacktestSummaryRecord,
    ConfigChangeRecord,
    ConfigEntryRecord,
    ModelVersionDetailRecord,
    ModelVersionRecord,
    PerformanceRecord,
    RiskDecisionRecord,
    SignalRecord,
)
from dashboard.config import dashboard_config_from_environment

from .frames import records_frame, sorted_horizons
from .session import backend_client

# Slow-changing reads keep longer; fast ones follow the configured TTL.
DATA_TTL = timedelta(seconds=dashboard_config_from_environment().data_ttl_seconds)
SLOW_TTL = DATA_TTL * 4


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_catalog(
    identity: str, _session: BackendSession
) -> tuple[list[str], list[str], str | None]:
    """Assets with forecasts, every horizon among them, and the newest forecast's time."""
    catalog = backend_client().assets(_session)
    assets = sorted(entry["asset"] for entry in catalog)
    horizons = sorted_horizons({horizon for entry in catalog for horizon in entry["horizons"]})
    newest_times = [entry["newest"] for entry in catalog]
    newest = max(newest_times, key=pd.Timestamp) if newest_times else None
    return assets, horizons, newest


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_forecasts(
    identity: str, _session: BackendSession, asset: str, horizon: str, since: datetime | None
) -> pd.DataFrame:
    """Forecasts of one asset and horizon since ``since``, oldest first."""
    rows = backend_client().forecasts(
        _session, asset=asset, horizon=horizon, since=since, limit=20_000
    )
    return records_frame(rows)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_bars(
    identity: str, _session: BackendSession, asset: str, interval: str, since: datetime | None
) -> tuple[pd.DataFrame, bool]:
    """Price bars and whether the backend serves bars at all."""
    try:
        rows = backend_client().bars(_session, asset=asset, interval=interval, since=since)
    except NotFound:
        return pd.DataFrame(), False
    return records_frame(rows), True


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_signals(identity: str, _session: BackendSession) -> list[SignalRecord]:
    """The newest signal of every asset and horizon."""
    return backend_client().signals_latest(_session)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_risk_history(
    identity: str, _session: BackendSession, limit: int = 2000
) -> list[RiskDecisionRecord]:
    """The newest risk decisions."""
    return backend_client().risk_history(_session, limit=limit)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_performance(
    identity: str, _session: BackendSession, backtest_id: int | None
) -> PerformanceRecord:
    """Performance of live trading (``None``) or one backtest."""
    return backend_client().performance(_session, backtest_id=backtest_id)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_backtests(identity: str, _session: BackendSession) -> list[BacktestSummaryRecord]:
    """Imported runs, newest first."""
    return backend_client().backtests(_session)


@st.cache_data(ttl=SLOW_TTL, show_spinner=False)
def load_backtest(
    identity: str, _session: BackendSession, backtest_id: int
) -> BacktestDetailRecord:
    """One imported run in full."""
    return backend_client().backtest(_session, backtest_id)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_strategy_config(identity: str, _session: BackendSession) -> list[ConfigEntryRecord]:
    """Every configuration key."""
    return backend_client().strategy_config(_session)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_strategy_history(identity: str, _session: BackendSession) -> list[ConfigChangeRecord]:
    """The configuration change history."""
    return backend_client().strategy_config_history(_session)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_model_versions(identity: str, _session: BackendSession) -> list[ModelVersionRecord]:
    """Every model version with its lifecycle status."""
    return backend_client().model_versions(_session)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_model_champions(identity: str, _session: BackendSession) -> list[ModelVersionRecord]:
    """The live version of every asset group and horizon."""
    return backend_client().model_champions(_session)


@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def load_model_version(
    identity: str, _session: BackendSession, version_id: int
) -> ModelVersionDetailRecord:
    """One version with its gate verdict and transitions."""
    return backend_client().model_version(_session, version_id)


def cached_reads_clear() -> None:
    """Forget every cached read (after a write, so the page shows the new state)."""
    st.cache_data.clear()
