"""ASGI entry point: the REST API and the live-updates WebSocket gateway (``/ws/updates/``).

Production: ``uvicorn backend.asgi:application``; development: ``manage.py runserver``
(daphne's) serves the same application.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.production")

# Django is set up before anything imports models.
http_application = get_asgi_application()


def build_application(**websocket_options: Any) -> Any:
    """The HTTP and WebSocket application; options go to ``websocket_application``."""
    from channels.routing import ProtocolTypeRouter

    from backend.updates.routing import websocket_application

    return ProtocolTypeRouter(
        {"http": http_application, "websocket": websocket_application(**websocket_options)}
    )


application = build_application()
