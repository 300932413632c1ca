"""The gateway's ASGI application: origin check, ``/ws/updates/`` route, the process's fan-out."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import ParseResult

from channels.routing import URLRouter
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from backend.common.bus import bus_get

from .config import GatewayLimits
from .consumer import UpdatesConsumer
from .fanout import BusFanout

UPDATES_PATH = "ws/updates/"


class BrowserOriginValidator(OriginValidator):
    """Channels' origin check for browsers; a client without an Origin header is not a
    browser (a script, a notebook) and goes on to authenticate with its token."""

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        if parsed_origin is None:
            return True
        return bool(self.validate_origin(parsed_origin))


@lru_cache(maxsize=1)
def process_fanout() -> BusFanout:
    """The process's one bus reader, on the configured bus (``REDIS_URL``, namespace)."""
    return BusFanout(bus_factory=bus_get)


def websocket_application(
    *,
    fanout: BusFanout | None = None,
    limits: GatewayLimits | None = None,
    allowed_origins: Sequence[str] | None = None,
) -> Any:
    """The WebSocket side of the ASGI application (defaults: the settings' and the process's)."""
    consumer = UpdatesConsumer.as_asgi(
        fanout=fanout or process_fanout(), limits=limits or GatewayLimits.from_settings()
    )
    origins = list(settings.UPDATES_ALLOWED_ORIGINS if allowed_origins is None else allowed_origins)
    # Channels routes ASGI applications with Django's path(), which django-stubs types for views.
    route: Any = path(UPDATES_PATH, consumer)  # type: ignore[arg-type]
    return BrowserOriginValidator(URLRouter([route]), origins)
