"""Stop with a clear message when the dashboard's runtime cannot draw tables and charts."""

from __future__ import annotations

import importlib

import streamlit as st


def drawing_support_problem() -> str | None:
    """Why Streamlit cannot serialise tables and charts here, or None when it can."""
    try:
        importlib.import_module("pyarrow")  # Streamlit sends every table and chart through it
    except ImportError as error:
        return str(error)
    return None


def require_drawing_support() -> None:
    """Show what is wrong with the installation and stop, instead of a traceback per chart."""
    problem = drawing_support_problem()
    if problem is not None:
        st.error(
            "The dashboard cannot draw tables or charts: pyarrow does not load "
            f"({problem}). Install a pyarrow that matches the installed numpy."
        )
        st.stop()
