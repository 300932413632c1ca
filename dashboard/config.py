"""Dashboard settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

DEFAULT_API_URL = "http://127.0.0.1:8000"
UPDATES_PATH = "/ws/updates/"
UPDATES_OFF = "off"


@dataclass(frozen=True)
class DashboardConfig:
    """Where the backend is and how often live tiles refresh.

    Parameters
    ----------
    api_url
        Base URL of the backend (without ``/api``), from ``ATS_API_URL``.
    request_timeout_seconds
        Timeout of one HTTP request to the backend, from ``ATS_API_TIMEOUT_SECONDS``.
    live_refresh_seconds
        Period of the live tiles, from ``ATS_DASHBOARD_REFRESH_SECONDS``.
    data_ttl_seconds
        How long read results stay cached, from ``ATS_DASHBOARD_CACHE_SECONDS``.
    updates_url
        The live-updates WebSocket gateway as the user's browser reaches it
        (``ws://`` or ``wss://``, path ``/ws/updates/``), from ``ATS_UPDATES_URL``;
        None: live tiles poll the REST API every ``live_refresh_seconds``.
    """

    api_url: str = DEFAULT_API_URL
    request_timeout_seconds: float = 10.0
    live_refresh_seconds: float = 15.0
    data_ttl_seconds: float = 30.0
    updates_url: str | None = None

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https://, got {self.api_url!r}")
        if self.updates_url is not None and not self.updates_url.startswith(("ws://", "wss://")):
            raise ValueError(
                f"updates_url must start with ws:// or wss://, got {self.updates_url!r}"
            )
        for name in ("request_timeout_seconds", "live_refresh_seconds", "data_ttl_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")


def _positive_float(environment: Mapping[str, str], name: str, default: float) -> float:
    raw = environment.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


def updates_url_for(api_url: str) -> str:
    """The gateway next to the backend at ``api_url``: same host and port, ``/ws/updates/``.

    ``manage.py runserver`` (development, ``make run``) serves the socket next to the REST
    API; a deployment with a separate gateway sets ``ATS_UPDATES_URL``.
    """
    parts = urlsplit(api_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, UPDATES_PATH, "", ""))


def _updates_url(environment: Mapping[str, str], api_url: str) -> str | None:
    raw = (environment.get("ATS_UPDATES_URL") or "").strip()
    if raw.lower() == UPDATES_OFF:
        return None
    return raw or updates_url_for(api_url)


def dashboard_config_from_environment(
    environment: Mapping[str, str] | None = None,
) -> DashboardConfig:
    """Build the configuration from ``environment`` (``os.environ`` by default)."""
    source = os.environ if environment is None else environment
    api_url = (source.get("ATS_API_URL") or DEFAULT_API_URL).rstrip("/")
    return DashboardConfig(
        api_url=api_url,
        request_timeout_seconds=_positive_float(source, "ATS_API_TIMEOUT_SECONDS", 10.0),
        live_refresh_seconds=_positive_float(source, "ATS_DASHBOARD_REFRESH_SECONDS", 15.0),
        data_ttl_seconds=_positive_float(source, "ATS_DASHBOARD_CACHE_SECONDS", 30.0),
        updates_url=_updates_url(source, api_url),
    )
