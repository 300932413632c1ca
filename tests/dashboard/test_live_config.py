"""Where the dashboard's live tiles find the gateway (``ATS_UPDATES_URL``), and what they report."""

from __future__ import annotations

import pytest

from dashboard.components.live_tiles import LiveStatus, live_status
from dashboard.config import DashboardConfig, dashboard_config_from_environment


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("http://127.0.0.1:8000", "ws://127.0.0.1:8000/ws/updates/"),
        ("https://trading.example.com/", "wss://trading.example.com/ws/updates/"),
    ],
)
def test_the_gateway_defaults_to_the_backends_host_and_port(api_url: str, expected: str) -> None:
    config = dashboard_config_from_environment({"ATS_API_URL": api_url})
    assert config.updates_url == expected


def test_the_gateway_address_is_configured_or_turned_off() -> None:
    configured = dashboard_config_from_environment(
        {"ATS_API_URL": "http://backend:8000", "ATS_UPDATES_URL": "ws://127.0.0.1:8001/ws/updates/"}
    )
    assert configured.updates_url == "ws://127.0.0.1:8001/ws/updates/"
    assert dashboard_config_from_environment({"ATS_UPDATES_URL": "off"}).updates_url is None


def test_a_gateway_address_that_is_not_a_websocket_is_refused() -> None:
    with pytest.raises(ValueError, match="updates_url must start with ws:// or wss://"):
        DashboardConfig(updates_url="http://127.0.0.1:8001/ws/updates/")


def test_the_component_reports_live_or_unavailable_else_it_is_connecting() -> None:
    assert live_status({"state": "live", "reason": ""}) == LiveStatus(state="live")
    assert live_status({"state": "unavailable", "reason": "token refused (4401)"}) == LiveStatus(
        state="unavailable", reason="token refused (4401)"
    )
    assert live_status(None) == LiveStatus(state="connecting")
    assert not live_status({"state": "whatever"}).live
