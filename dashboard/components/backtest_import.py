"""Import a LEAN result file from the page (operators and services)."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import streamlit as st

from dashboard.clients.api import BackendSession
from dashboard.clients.errors import ValidationFailed

from .data import cached_reads_clear
from .session import backend_client

MAX_UPLOAD_MEGABYTES = 50
NOTICE_KEY = "backtest_import_notice"


class UnreadableResultFile(ValueError):
    """The uploaded file is not a JSON object."""


def result_document(raw: bytes) -> dict[str, Any]:
    """Parse a LEAN result file; raise :class:`UnreadableResultFile` with the reason."""
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UnreadableResultFile("the file is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise UnreadableResultFile(
            f"the file is not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(document, dict):
        raise UnreadableResultFile("a LEAN result file holds one JSON object")
    return document


def default_run_name(file_name: str) -> str:
    """A run name from the uploaded file's name."""
    return PurePath(file_name).stem or "backtest"


def backtest_import_form(session: BackendSession) -> None:
    """Upload a LEAN result JSON and import it under a name."""
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.success(notice)
    with st.form("backtest_import", clear_on_submit=False):
        upload = st.file_uploader(
            f"LEAN result file (JSON, up to {MAX_UPLOAD_MEGABYTES} MB)", type=["json"]
        )
        name = st.text_input("Run name", placeholder="taken from the file name when empty")
        pressed = st.form_submit_button("Import")
    if not pressed:
        return
    if upload is None:
        st.error("Choose a result file first.")
        return
    raw = upload.getvalue()
    if len(raw) > MAX_UPLOAD_MEGABYTES * 1024 * 1024:
        st.error(f"The file is larger than {MAX_UPLOAD_MEGABYTES} MB.")
        return
    try:
        document = result_document(raw)
    except UnreadableResultFile as unreadable:
        st.error(f"Cannot import {upload.name}: {unreadable}.")
        return
    run_name = name.strip() or default_run_name(upload.name)
    try:
        run = backend_client().backtest_import(session, name=run_name, document=document)
    except ValidationFailed as failure:
        for field_error in failure.errors:
            st.error(f"{field_error.field}: {field_error.message} ({field_error.rule})")
        return
    cached_reads_clear()
    st.session_state[NOTICE_KEY] = (
        f"Imported “{run['name']}” (id {run['id']}): {len(run['equity_curve'])} equity points, "
        f"{len(run['orders'])} orders."
    )
    st.rerun()
