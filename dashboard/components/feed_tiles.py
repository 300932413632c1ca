"""Overview's market-data feeds: per feed its health, last bar, lag, gaps and refused bars."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import BackendUnavailable, NotFound, PermissionDenied
from dashboard.clients.records import FeedRecord

from .session import backend_client

FEED_COLUMNS = (
    "feed",
    "health",
    "series",
    "last bar",
    "lag",
    "gaps",
    "refused bars",
    "last run",
    "last error",
)


def lag_text(seconds: float | None) -> str:
    """A lag as the largest whole unit that fits: 45 s, 12 min, 3.5 h, 2.0 d; none: —."""
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86_400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"


def feeds_frame(feeds: list[FeedRecord]) -> pd.DataFrame:
    """One row per feed: health (healthy, unhealthy after N failures, disabled), the newest
    bar over its series, the largest lag, gaps and refused bars summed, the last run."""
    rows = []
    for feed in feeds:
        status = feed["status"]
        if not feed["enabled"]:
            health = "disabled"
        elif status["healthy"]:
            health = "healthy"
        else:
            health = f"unhealthy ({status['consecutive_failures']} failed runs)"
        last_bars = [row["last_bar_time"] for row in status["series"] if row["last_bar_time"]]
        source = feed["exchange"] or feed["source"]
        rows.append(
            {
                "feed": feed["name"],
                "health": health,
                "series": f"{len(feed['symbols'])} × {feed['resolution']} ({source})",
                "last bar": max(last_bars) if last_bars else "—",
                "lag": lag_text(status["lag_seconds"]),
                "gaps": status["gaps"],
                "refused bars": status["refused_bars"],
                "last run": status["last_run_status"] or "never",
                "last error": status["last_error"],
            }
        )
    return pd.DataFrame(rows, columns=list(FEED_COLUMNS))


def feeds_panel(session: BackendSession) -> None:
    """The feeds table, an alert per unhealthy feed; a one-line note if none can be read."""
    try:
        feeds = backend_client().feeds(session)
    except (BackendUnavailable, NotFound, PermissionDenied) as error:
        st.caption(f"Market-data feeds are not available: {error}")
        return
    if not feeds:
        st.caption("No market-data feed is configured (add one in the admin or the API).")
        return
    for feed in feeds:
        if feed["enabled"] and not feed["status"]["healthy"]:
            st.error(
                f"Feed {feed['name']} is unhealthy: {feed['status']['last_error'] or 'failing'}"
            )
    st.dataframe(feeds_frame(feeds), hide_index=True)
