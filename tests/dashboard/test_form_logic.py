"""Configuration form and result-file helpers (no backend needed)."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.clients.errors import FieldError
from dashboard.components.backtest_import import (
    UnreadableResultFile,
    default_run_name,
    result_document,
)
from dashboard.components.config_form import allowed_range_text, changed_values, errors_by_field
from dashboard.config import DashboardConfig, dashboard_config_from_environment


def _entry(key: str, value: Any, kind: str = "float", low: Any = 0.0, high: Any = 1.0) -> Any:
    return {"key": key, "value": value, "default": value, "value_type": kind, "minimum": low,
            "maximum": high, "choices": [], "unit": "", "description": "", "version": 0,
            "updated_at": None, "updated_by": ""}  # fmt: skip


def test_only_changed_values_are_sent() -> None:
    entries = [
        _entry("a", 0.5),
        _entry("b", 3, "int", 1, 10),
        _entry("c", True, "bool", None, None),
    ]
    assert changed_values(entries, {"a": 0.5, "b": 3, "c": True}) == {}
    assert changed_values(entries, {"a": 0.6, "b": 3, "c": False}) == {"a": 0.6, "c": False}


def test_errors_are_keyed_by_configuration_key() -> None:
    grouped = errors_by_field(
        [
            FieldError("values.a", "max_value", "at most 1"),
            FieldError("reason", "required", "give one"),
        ]
    )
    assert grouped == {"a": ["at most 1 (max_value)"], "reason": ["give one (required)"]}


def test_allowed_range_text() -> None:
    assert allowed_range_text(_entry("a", 0.5, low=0.5, high=1.0)) == "allowed 0.5 … 1"
    assert allowed_range_text(_entry("b", 1, "int", 2, None)) == "allowed 2 … ∞"
    assert allowed_range_text(_entry("c", True, "bool", None, None)) == "true or false"


def test_result_files_are_parsed_or_refused_with_the_reason() -> None:
    assert result_document(b'{"statistics": {}}') == {"statistics": {}}
    with pytest.raises(UnreadableResultFile, match="not JSON"):
        result_document(b"{nope")
    with pytest.raises(UnreadableResultFile, match="one JSON object"):
        result_document(b"[1, 2]")
    with pytest.raises(UnreadableResultFile, match="UTF-8"):
        result_document(b"\xff\xfe\x00")
    assert default_run_name("runs/1234.json") == "1234"


def test_configuration_from_environment() -> None:
    config = dashboard_config_from_environment({"ATS_API_URL": "https://api.example/",
                                                "ATS_DASHBOARD_REFRESH_SECONDS": "5"})  # fmt: skip
    assert config.api_url == "https://api.example"
    assert config.live_refresh_seconds == 5.0
    assert dashboard_config_from_environment({}).api_url == "http://127.0.0.1:8000"
    with pytest.raises(ValueError, match="http"):
        DashboardConfig(api_url="ftp://x")
    with pytest.raises(ValueError, match="number"):
        dashboard_config_from_environment({"ATS_API_TIMEOUT_SECONDS": "soon"})
