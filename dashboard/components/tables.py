"""How tables show times: one format, in UTC, on every page."""

from __future__ import annotations

from typing import Any

import streamlit as st

TIME_FORMAT = "YYYY-MM-DD HH:mm:ss [UTC]"
"""moment.js format of every time column (the API's times are UTC)."""


def time_columns(*names: str) -> dict[str, Any]:
    """``st.dataframe`` column settings that show ``names`` as UTC times in one format."""
    return {
        name: st.column_config.DatetimeColumn(name, format=TIME_FORMAT, timezone="UTC")
        for name in names
    }
