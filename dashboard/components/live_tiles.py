"""Live risk tiles: a small JavaScript component holding the gateway's WebSocket.

The component (``live_frontend/``, plain JavaScript) authenticates with the session's access
token in its first message, subscribes, and updates its own tiles on every frame, so a
pushed risk verdict or forecast shows without a Streamlit rerun. It reports only whether
it is live or unavailable; the page polls the REST API while it is not live.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

from dashboard.clients.api import BackendSession
from dashboard.clients.records import RiskCurrentRecord
from risk_models.breakers import BREAKER_STATES

FRONTEND = Path(__file__).resolve().parent / "live_frontend"
CLIENT_SCRIPT = FRONTEND / "live_client.js"
RISK_CHANNELS = ("risk_updates", "forecast_updates")
FORECAST_ROWS = 12

_live_tiles = components.declare_component("live_tiles", path=str(FRONTEND))


@dataclass(frozen=True)
class LiveStatus:
    """What the component last reported: ``live``, ``unavailable`` or ``connecting``."""

    state: str
    reason: str = ""

    @property
    def live(self) -> bool:
        """Whether the tiles follow the gateway's push."""
        return self.state == "live"


def live_status(value: Any) -> LiveStatus:
    """The component's reported value as a status (nothing reported yet: connecting)."""
    if isinstance(value, dict) and value.get("state") in ("live", "unavailable"):
        return LiveStatus(state=str(value["state"]), reason=str(value.get("reason") or ""))
    return LiveStatus(state="connecting")


def live_risk_tiles(
    *,
    updates_url: str,
    session: BackendSession,
    risk: RiskCurrentRecord | None,
    refresh_seconds: float,
    show_forecasts: bool,
    key: str,
) -> LiveStatus:
    """Draw the live risk verdict, breakers and (optionally) the latest forecasts.

    ``risk`` (the REST API's current verdict) is drawn until the gateway pushes a newer one.
    """
    value = _live_tiles(
        url=updates_url,
        token=session.access_token,
        channels=list(RISK_CHANNELS),
        risk=risk,
        breaker_names=sorted(BREAKER_STATES),
        show_forecasts=show_forecasts,
        forecast_limit=FORECAST_ROWS,
        refresh_seconds=f"{refresh_seconds:g}",
        key=key,
        default=None,
    )
    return live_status(value)


def live_client_source() -> str:
    """The gateway client in JavaScript, for pages that inline it (the Forecasts chart)."""
    return CLIENT_SCRIPT.read_text(encoding="utf-8")
