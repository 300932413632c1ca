"""Feed a :class:`SignalInbox` from Redis with the bus's own ``LatestValueSubscriber``.

The subscriber runs in a daemon thread, starts from the stored last values and
reconnects with backoff; every message it applies is offered to the inbox (which
drops duplicates and older values). ``redis`` is imported only when it connects.
"""

from __future__ import annotations

from collections.abc import Sequence

from signal_bus.lean.signal_inbox import INBOX_CHANNELS, SignalInbox
from signal_bus.messages import Message
from signal_bus.redis_bus import RedisBus
from signal_bus.subscriber import LatestValueSubscriber, SubscriberConfig


def start_redis_signal_feed(
    inbox: SignalInbox,
    redis_url: str,
    namespace: str = "",
    channels: Sequence[str] = INBOX_CHANNELS,
    poll_timeout_s: float = 0.05,
) -> LatestValueSubscriber:
    """Start and return a subscriber that offers every bus message on ``channels`` to ``inbox``.

    Parameters
    ----------
    inbox
        Where messages go.
    redis_url
        ``redis://[:password@]host:port/db``.
    namespace
        The bus namespace (empty for none).
    channels
        Logical channels to follow.
    poll_timeout_s
        Longest wait for one message before the thread checks its stop flag.
    """
    bus = RedisBus(url=redis_url, namespace=namespace)
    config = SubscriberConfig(channels=tuple(channels), poll_timeout_s=poll_timeout_s)

    def offer(message: Message) -> None:
        inbox.offer(message)

    return LatestValueSubscriber(bus, config, on_message=offer).start()
