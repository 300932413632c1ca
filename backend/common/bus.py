"""The backend's only door to the signal bus: publish messages, build consumers.

Everything goes through ``signal_bus``; this module only picks the transport from the
settings (``REDIS_URL`` and ``SIGNAL_BUS_NAMESPACE``) and logs failures.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import structlog
from django.conf import settings

from signal_bus.messages import Message

logger = structlog.get_logger(__name__)


@lru_cache(maxsize=8)
def _bus_for(url: str, namespace: str) -> Any:
    from signal_bus.redis_bus import RedisBus  # the transport imports redis lazily

    return RedisBus(url=url, namespace=namespace)


def bus_get(*, namespace: str | None = None) -> Any:
    """The Redis bus for the configured URL and namespace (one per process and namespace)."""
    chosen = settings.SIGNAL_BUS_NAMESPACE if namespace is None else namespace
    return _bus_for(settings.REDIS_URL, chosen)


def bus_message_publish(*, message: Message) -> bool:
    """Publish ``message``; return whether it reached the bus (failures are logged, not raised)."""
    try:
        bus_get().publish(message)
    except Exception as error:  # noqa: BLE001 - the write already committed; report and go on
        logger.error(
            "bus_publish_failed", channel=message.channel, message_id=message.id, error=str(error)
        )
        return False
    logger.info("bus_published", channel=message.channel, message_id=message.id)
    return True
