"""The strategy configuration form: one field per key with its type and allowed range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import FieldError, ValidationFailed
from dashboard.clients.records import ConfigEntryRecord

from .data import cached_reads_clear
from .session import backend_client

ERRORS_KEY = "strategy_config_errors"
NOTICE_KEY = "strategy_config_notice"
FIELD_PREFIX = "config_field_"
REASON_KEY = "config_reason"


def allowed_range_text(entry: ConfigEntryRecord) -> str:
    """``"allowed 0.5 … 1"``, ``"one of a, b"`` or ``"true or false"``."""
    if entry["choices"]:
        return "one of " + ", ".join(entry["choices"])
    if entry["value_type"] == "bool":
        return "true or false"
    low, high = entry["minimum"], entry["maximum"]
    if low is None and high is None:
        return "any value"
    low_text = "−∞" if low is None else f"{low:g}"
    high_text = "∞" if high is None else f"{high:g}"
    return f"allowed {low_text} … {high_text}"


def field_label(entry: ConfigEntryRecord) -> str:
    """The field's label: key, type and unit."""
    unit = f", {entry['unit']}" if entry["unit"] else ""
    return f"{entry['key']} ({entry['value_type']}{unit})"


def changed_values(
    entries: Sequence[ConfigEntryRecord], submitted: Mapping[str, Any]
) -> dict[str, Any]:
    """The submitted values that differ from the current ones."""
    changes: dict[str, Any] = {}
    for entry in entries:
        key = entry["key"]
        if key not in submitted:
            continue
        new, old = submitted[key], entry["value"]
        if isinstance(new, float) and isinstance(old, int | float) and not isinstance(old, bool):
            if math.isclose(new, float(old), rel_tol=1e-12, abs_tol=1e-15):
                continue
        elif new == old:
            continue
        changes[key] = new
    return changes


def errors_by_field(errors: Sequence[FieldError]) -> dict[str, list[str]]:
    """Backend errors keyed by configuration key (``values.<key>``) or by ``reason``."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        name = error.field.removeprefix("values.")
        grouped.setdefault(name, []).append(f"{error.message} ({error.rule})")
    return grouped


def _config_field(entry: ConfigEntryRecord, errors: list[str]) -> Any:
    key = entry["key"]
    label = field_label(entry)
    help_text = (
        f"{entry['description']} — {allowed_range_text(entry)}; default {entry['default']!r}."
    )
    widget_key = FIELD_PREFIX + key
    value = entry["value"]
    if entry["choices"]:
        options = list(entry["choices"])
        index = options.index(value) if value in options else 0
        result: Any = st.selectbox(label, options, index=index, help=help_text, key=widget_key)
    elif entry["value_type"] == "bool":
        result = st.checkbox(label, value=bool(value), help=help_text, key=widget_key)
    elif entry["value_type"] == "int":
        result = st.number_input(label, value=int(value), step=1, help=help_text, key=widget_key)
    elif entry["value_type"] == "float":
        result = st.number_input(
            label, value=float(value), format="%g", step=None, help=help_text, key=widget_key
        )
    else:
        result = st.text_input(label, value=str(value), help=help_text, key=widget_key)
    st.caption(allowed_range_text(entry))
    for message in errors:
        st.error(f"{key}: {message}")
    return result


def strategy_config_form(session: BackendSession, entries: Sequence[ConfigEntryRecord]) -> None:
    """The form (operators); the backend's errors appear under the field they concern."""
    errors: dict[str, list[str]] = st.session_state.get(ERRORS_KEY, {})
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
    for name in sorted(set(errors) - {entry["key"] for entry in entries} - {"reason"}):
        st.error(f"{name}: {'; '.join(errors[name])}")
    submitted: dict[str, Any] = {}
    with st.form("strategy_config_form"):
        columns = st.columns(2)
        for index, entry in enumerate(entries):
            with columns[index % 2]:
                submitted[entry["key"]] = _config_field(entry, errors.get(entry["key"], []))
        reason = st.text_area("Reason for the change", key=REASON_KEY)
        for message in errors.get("reason", []):
            st.error(f"reason: {message}")
        pressed = st.form_submit_button("Save changes", type="primary")
    if not pressed:
        return
    values = changed_values(entries, submitted)
    if not values:
        st.session_state[ERRORS_KEY] = {}
        st.info("Nothing changed.")
        return
    try:
        changes = backend_client().strategy_config_update(session, values=values, reason=reason)
    except ValidationFailed as failure:
        st.session_state[ERRORS_KEY] = errors_by_field(failure.errors)
    else:
        st.session_state[ERRORS_KEY] = {}
        keys = ", ".join(f"{change['key']} → {change['new_value']!r}" for change in changes)
        st.session_state[NOTICE_KEY] = f"Saved: {keys}."
        cached_reads_clear()
    st.rerun()
