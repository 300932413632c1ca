"""Read-only views of the strategy configuration and its history."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from dashboard.clients.records import ConfigChangeRecord, ConfigEntryRecord

from .config_form import allowed_range_text
from .frames import utc_times
from .tables import time_columns


def config_read_only_table(entries: Sequence[ConfigEntryRecord]) -> None:
    """Every key, its value, type and allowed range."""
    rows = [
        {
            "key": entry["key"],
            "value": str(entry["value"]),
            "type": entry["value_type"],
            "allowed": allowed_range_text(entry),
            "unit": entry["unit"],
            "version": entry["version"],
            "description": entry["description"],
        }
        for entry in entries
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def config_history_table(history: Sequence[ConfigChangeRecord]) -> None:
    """Who changed what, from what to what, why and when."""
    if not history:
        st.caption("No change yet.")
        return
    rows = [
        {
            "changed at": change["changed_at"],
            "key": change["key"],
            "old": str(change["old_value"]),
            "new": str(change["new_value"]),
            "version": change["version"],
            "by": change["changed_by"],
            "reason": change["reason"],
        }
        for change in history
    ]
    st.dataframe(
        utc_times(pd.DataFrame(rows), "changed at"),
        hide_index=True,
        column_config=time_columns("changed at"),
    )
