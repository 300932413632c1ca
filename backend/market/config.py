"""Where the feeds write and how their provider clients are built, from settings or environment.

Each value is read from a Django setting when one is defined (tests set them), otherwise
from the environment:

- ``MARKET_DATA_FOLDER`` / ``ATS_DATA_FOLDER``: the LEAN data folder the feeds write into
  (the one the forecast engine reads; default ``data``);
- ``MARKET_FEED_BASE_URLS`` / ``ATS_FEED_BASE_URLS``: ``exchange=url`` pairs, comma-separated,
  pointing a CCXT exchange (or ``polygon``) at another host (a mirror, a proxy);
  ``BINANCE_BASE_URL`` and ``POLYGON_BASE_URL`` are honoured too;
- ``MARKET_FEED_RETRY_ATTEMPTS`` / ``ATS_FEED_RETRY_ATTEMPTS``: attempts per provider
  request, with exponential backoff (default 5);
- ``MARKET_FEED_RATE_LIMIT`` / ``ATS_FEED_RATE_LIMIT``: let CCXT space requests by the
  exchange's documented limits (default on; ``false`` only for local test servers).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

DEFAULT_DATA_FOLDER = "data"
DEFAULT_RETRY_ATTEMPTS = 5


@dataclass(frozen=True)
class FeedOptions:
    """How feeds reach their providers and where they write."""

    data_folder: Path
    base_urls: dict[str, str] = field(default_factory=dict)
    retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    rate_limit: bool = True


def _setting(name: str, variable: str, default: Any) -> Any:
    value = getattr(settings, name, None)
    if value is not None:
        return value
    text = os.environ.get(variable, "").strip()
    return text if text else default


def _base_urls(value: Any) -> dict[str, str]:
    urls: dict[str, str] = {}
    binance = os.environ.get("BINANCE_BASE_URL", "").strip()
    if binance:
        urls["binance"] = binance
    polygon = os.environ.get("POLYGON_BASE_URL", "").strip()
    if polygon:
        urls["polygon"] = polygon
    if isinstance(value, dict):
        return urls | {str(key): str(url) for key, url in value.items()}
    for pair in str(value or "").split(","):
        if "=" in pair:
            key, url = pair.split("=", 1)
            if key.strip() and url.strip():
                urls[key.strip()] = url.strip()
    return urls


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in {"0", "false", "no", "off"}


def feed_options() -> FeedOptions:
    """The options in force (read on every run, so a changed setting applies at once)."""
    attempts = int(_setting("MARKET_FEED_RETRY_ATTEMPTS", "ATS_FEED_RETRY_ATTEMPTS", 5))
    if attempts < 1:
        raise ValueError(f"ATS_FEED_RETRY_ATTEMPTS must be at least 1; got {attempts}")
    return FeedOptions(
        data_folder=Path(_setting("MARKET_DATA_FOLDER", "ATS_DATA_FOLDER", DEFAULT_DATA_FOLDER)),
        base_urls=_base_urls(_setting("MARKET_FEED_BASE_URLS", "ATS_FEED_BASE_URLS", "")),
        retry_attempts=attempts,
        rate_limit=_flag(_setting("MARKET_FEED_RATE_LIMIT", "ATS_FEED_RATE_LIMIT", True)),
    )
