"""Dashboard settings, read from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_API_URL = "http://127.0.0.1:8000"


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
    """

    api_url: str = DEFAULT_API_URL
    request_timeout_seconds: float = 10.0
    live_refresh_seconds: float = 15.0
    data_ttl_seconds: float = 30.0

    def __post_init__(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ValueError(f"api_url must start with http:// or https://, got {self.api_url!r}")
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


def dashboard_config_from_environment(
    environment: Mapping[str, str] | None = None,
) -> DashboardConfig:
    """Build the configuration from ``environment`` (``os.environ`` by default)."""
    source = os.environ if environment is None else environment
    return DashboardConfig(
        api_url=(source.get("ATS_API_URL") or DEFAULT_API_URL).rstrip("/"),
        request_timeout_seconds=_positive_float(source, "ATS_API_TIMEOUT_SECONDS", 10.0),
        live_refresh_seconds=_positive_float(source, "ATS_DASHBOARD_REFRESH_SECONDS", 15.0),
        data_ttl_seconds=_positive_float(source, "ATS_DASHBOARD_CACHE_SECONDS", 30.0),
    )
