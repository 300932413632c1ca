"""Live push (``backend.updates``): the ASGI application and the WebSocket gateway's limits.

Every value comes from the environment (``UPDATES_*``); ``production`` narrows the allowed
browser origins to ``ALLOWED_HOSTS`` unless ``UPDATES_ALLOWED_ORIGINS`` names them.
"""

from __future__ import annotations

import os

# ``manage.py runserver`` (daphne's) and the ASGI servers load this application.
ASGI_APPLICATION = "backend.asgi.application"


def comma_separated(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


# Seconds a new connection has to send its auth message before it is closed (4408).
UPDATES_AUTH_TIMEOUT_SECONDS = float(os.environ.get("UPDATES_AUTH_TIMEOUT_SECONDS", "5"))
# Frames waiting per connection; beyond it the oldest are dropped and counted (``lagged``).
UPDATES_QUEUE_SIZE = int(os.environ.get("UPDATES_QUEUE_SIZE", "1000"))
# Largest client message, in bytes of UTF-8 text; larger ones get an error frame.
UPDATES_MAX_CLIENT_MESSAGE_BYTES = int(os.environ.get("UPDATES_MAX_CLIENT_MESSAGE_BYTES", "4096"))
# Client messages per second a connection may send (token bucket of UPDATES_CLIENT_BURST).
UPDATES_CLIENT_RATE_PER_SECOND = float(os.environ.get("UPDATES_CLIENT_RATE_PER_SECOND", "2"))
UPDATES_CLIENT_BURST = int(os.environ.get("UPDATES_CLIENT_BURST", "10"))
# Seconds between re-checks of a connection's token (revocation, roles); it is also
# re-checked when it expires.
UPDATES_REVALIDATE_SECONDS = float(os.environ.get("UPDATES_REVALIDATE_SECONDS", "60"))
# Roles that may subscribe to execution_events (orders, fills, portfolio).
UPDATES_EXECUTION_ROLES = comma_separated(
    os.environ.get("UPDATES_EXECUTION_ROLES", "viewer,operator,service")
)
# Browser origins allowed to connect (Channels' OriginValidator patterns: "https://app.example.com",
# ".example.com", "*"). Clients that send no Origin header (scripts, notebooks) are not browsers
# and are let through to authenticate.
UPDATES_ALLOWED_ORIGINS = comma_separated(os.environ.get("UPDATES_ALLOWED_ORIGINS", "*"))
