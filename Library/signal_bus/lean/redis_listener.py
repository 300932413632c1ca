"""``RedisSignalListener``: a background thread that keeps a :class:`SignalInbox` current.

On every (re)connection it subscribes first and then loads the last values
(``<channel>:last[:<key>]``), so a restarted algorithm starts from the present and
nothing published in between is lost; duplicates are dropped by the inbox. ``redis``
is imported inside the thread, so importing this module never needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from signal_bus.channels import ChannelNames
from signal_bus.lean.signal_inbox import INBOX_CHANNELS, SignalInbox

POLL_SECONDS = 0.05


class RedisSignalListener:
    """Subscribe to the bus channels and feed every message to ``inbox``.

    Parameters
    ----------
    inbox
        Where messages go.
    redis_url
        ``redis://host:port/db``.
    namespace
        The bus namespace (empty for none).
    channels
        Logical channels to follow.
    max_backoff_seconds
        Longest wait between reconnection attempts.
    """

    def __init__(
        self,
        inbox: SignalInbox,
        redis_url: str,
        namespace: str = "",
        channels: Sequence[str] = INBOX_CHANNELS,
        max_backoff_seconds: float = 2.0,
    ) -> None:
        self._inbox = inbox
        self._redis_url = redis_url
        self._names = ChannelNames(namespace)
        self._channels = tuple(channels)
        self._max_backoff = max_backoff_seconds
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self.connections = 0
        self.last_error = ""

    def start(self) -> RedisSignalListener:
        """Start the background thread (idempotent) and return ``self``."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="redis-signal-listener", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the thread to finish and wait up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_until_ready(self, timeout: float) -> bool:
        """Wait until subscribed and bootstrapped; return whether that happened in time."""
        return self._ready.wait(timeout)

    @property
    def ready(self) -> bool:
        """Whether the listener is connected and subscribed now."""
        return self._ready.is_set()

    def _run(self) -> None:
        import redis  # lazily: QuantConnect cloud has no redis

        backoff = 0.05
        while not self._stop.is_set():
            client: Any = None
            try:
                client = redis.Redis.from_url(
                    self._redis_url, socket_connect_timeout=1.0, health_check_interval=5
                )
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(*[self._names.pubsub(channel) for channel in self._channels])
                self._bootstrap(client)
                self.connections += 1
                self._ready.set()
                backoff = 0.05
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=POLL_SECONDS)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["channel"], message["data"])
                pubsub.close()
            except (redis.RedisError, OSError) as error:
                self.last_error = f"{type(error).__name__}: {error}"
                self._ready.clear()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            finally:
                if client is not None:
                    client.close()
        self._ready.clear()

    def _bootstrap(self, client: Any) -> None:
        for channel in self._channels:
            keys = [self._names.last(channel)]
            keys += list(client.scan_iter(match=self._names.last_pattern(channel), count=500))
            values = client.mget(keys) if keys else []
            for value in values:
                if value is not None:
                    self._inbox.accept(channel, value)

    def _deliver(self, pubsub_name: bytes | str, data: bytes | str) -> None:
        name = pubsub_name.decode() if isinstance(pubsub_name, bytes) else pubsub_name
        try:
            channel = self._names.channel_of(name)
        except ValueError:
            return
        self._inbox.accept(channel, data)
