"""The Redis transport.

``publish`` sends ``XADD <channel>:stream MAXLEN ~ N``, ``SET <channel>:last[:<key>]``
and ``PUBLISH <channel>`` in one pipeline round trip, in that order, so whoever
receives the pub/sub message already finds it in the stream and as the last value.
Redis errors that mean a lost connection surface as
:class:`~signal_bus.errors.TransportConnectionError`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from signal_bus.bus import DEFAULT_STREAM_MAX_LENGTH, Bus, StreamEntry
from signal_bus.channels import ChannelNames, require_channel
from signal_bus.connection import RedisConnectionConfig
from signal_bus.errors import TransportConnectionError

_PAYLOAD_FIELD = b"data"
NAMESPACE_VARIABLE = "SIGNAL_BUS_NAMESPACE"


@contextmanager
def _translated_errors() -> Iterator[None]:
    import redis

    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        raise TransportConnectionError(f"redis: {error}") from error


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(raw: Sequence[Any] | None) -> list[StreamEntry]:
    entries = []
    for entry_id, fields in raw or ():
        payload = fields.get(_PAYLOAD_FIELD) if fields else None
        entries.append(StreamEntry(_text(entry_id), payload))
    return entries


def _payload_of(fields: Sequence[Any] | None) -> bytes | None:
    """The payload among an entry's raw ``[name, value, ...]`` fields (the last one if repeated)."""
    payload = None
    if fields:
        for index in range(0, len(fields) - 1, 2):
            if fields[index] == _PAYLOAD_FIELD:
                payload = fields[index + 1]
    return payload


def _raw_stream_entries(reply: Any) -> list[StreamEntry]:
    """Entries of the first stream of a raw XREAD/XREADGROUP reply (None when it timed out).

    The reply is ``[[stream, [[id, [field, value, ...]], ...]]]`` (a map in RESP3); an entry
    deleted while pending has no fields and becomes an entry without payload.
    """
    if not reply:
        return []
    stream_entries = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    entries: list[StreamEntry] = []
    append = entries.append
    for entry_id, fields in stream_entries:
        if fields and len(fields) == 2 and fields[0] == _PAYLOAD_FIELD:
            payload = fields[1]  # the shape every publish writes
        else:
            payload = _payload_of(fields)
        append(StreamEntry(_text(entry_id), payload))
    return entries


class _RedisSubscription:
    def __init__(self, client: Any, names: dict[str, str]) -> None:
        import redis

        self._lost = (redis.ConnectionError, redis.TimeoutError, OSError)
        self._channels = {name.encode(): channel for name, channel in names.items()}
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        with _translated_errors():
            self._pubsub.subscribe(*names)

    def get(self, timeout: float) -> tuple[str, bytes] | None:
        try:
            message = self._pubsub.get_message(timeout=timeout)
        except self._lost as error:
            raise TransportConnectionError(f"redis: {error}") from error
        if message is None or message["type"] != "message":
            return None
        return self._channels[message["channel"]], message["data"]

    def close(self) -> None:
        # Closing a broken connection may fail; there is nothing left to release then.
        with suppress(Exception):
            self._pubsub.close()


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


@dataclass(frozen=True, slots=True)
class _PublishFrames:
    """RESP frames of one channel's publish, built once; only the payload varies."""

    xadd_head: bytes
    set_head: bytes
    last_prefix: bytes
    publish_head: bytes

    @classmethod
    def build(cls, names: ChannelNames, channel: str, max_length: int) -> _PublishFrames:
        xadd = (b"XADD", names.stream(channel).encode(), b"MAXLEN", b"~", b"%d" % max_length, b"*")
        return cls(
            xadd_head=b"*8\r\n" + b"".join(_bulk(part) for part in xadd) + _bulk(_PAYLOAD_FIELD),
            set_head=b"*3\r\n" + _bulk(b"SET"),
            last_prefix=names.last(channel).encode(),
            publish_head=b"*3\r\n" + _bulk(b"PUBLISH") + _bulk(names.pubsub(channel).encode()),
        )


class RedisBus(Bus):
    """A :class:`~signal_bus.bus.Bus` on Redis.

    Parameters
    ----------
    config
        Connection settings; by default read from the environment
        (see :class:`~signal_bus.connection.RedisConnectionConfig`).
    url
        Shortcut for ``RedisConnectionConfig.from_url(url)``.
    namespace
        Prefix of every channel and key.
    stream_max_length
        Approximate bound (``MAXLEN ~``) of each channel's stream.
    """

    def __init__(
        self,
        config: RedisConnectionConfig | None = None,
        *,
        url: str | None = None,
        namespace: str = "",
        stream_max_length: int = DEFAULT_STREAM_MAX_LENGTH,
    ) -> None:
        super().__init__(namespace=namespace, stream_max_length=stream_max_length)
        if config is not None and url is not None:
            raise ValueError("pass config or url, not both")
        if config is None:
            config = (
                RedisConnectionConfig.from_url(url)
                if url is not None
                else RedisConnectionConfig.from_environment()
            )
        self.config = config
        self._client: Any = None
        self._pubsub_client: Any = None
        self._client_lock = threading.Lock()
        self._frames: dict[str, _PublishFrames] = {}

    @classmethod
    def from_environment(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        stream_max_length: int = DEFAULT_STREAM_MAX_LENGTH,
    ) -> RedisBus:
        """Build from ``REDIS_URL`` or ``REDIS_HOST``/``REDIS_PORT``/``REDIS_PASSWORD``/``REDIS_DB``
        and the namespace from ``SIGNAL_BUS_NAMESPACE``."""
        env = os.environ if environ is None else environ
        return cls(
            RedisConnectionConfig.from_environment(env),
            namespace=env.get(NAMESPACE_VARIABLE, "").strip(),
            stream_max_length=stream_max_length,
        )

    @property
    def client(self) -> Any:
        """The underlying ``redis.Redis`` client, created on first use."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = self.config.create_client()
        return self._client

    @property
    def pubsub_client(self) -> Any:
        """A second client, without retries, for pub/sub subscriptions."""
        if self._pubsub_client is None:
            with self._client_lock:
                if self._pubsub_client is None:
                    self._pubsub_client = self.config.create_client(retries=0)
        return self._pubsub_client

    def close(self) -> None:
        """Close the connection pools."""
        for client in (self._client, self._pubsub_client):
            if client is not None:
                client.close()
        self._client = None
        self._pubsub_client = None

    def _publish_frames(self, channel: str) -> _PublishFrames:
        frames = self._frames.get(channel)
        if frames is None:
            frames = _PublishFrames.build(self.names, channel, self.stream_max_length)
            self._frames[channel] = frames
        return frames

    # ---------------------------------------------------------------- primitives

    def publish_payload(self, channel: str, key: str, payload: bytes) -> None:
        """XADD, SET last value and PUBLISH ``payload``, written to Redis as one pipeline.

        The three commands are packed by hand from pre-built frames and sent in a
        single write; a stale connection is retried once on a fresh one.
        """
        import redis

        frames = self._publish_frames(channel)
        body = b"$%d\r\n%s\r\n" % (len(payload), payload)
        last_key = frames.last_prefix + b":" + key.encode() if key else frames.last_prefix
        packet = b"".join(
            (
                frames.xadd_head,
                body,
                frames.set_head,
                b"$%d\r\n%s\r\n" % (len(last_key), last_key),
                body,
                frames.publish_head,
                body,
            )
        )
        pool = self.client.connection_pool
        for attempt in (1, 2):
            connection = None
            try:
                connection = pool.get_connection()
                connection.send_packed_command((packet,))
                error: Exception | None = None
                for _ in range(3):
                    try:
                        connection.read_response()
                    except redis.ResponseError as response_error:
                        error = response_error
                if error is not None:
                    raise error
                return
            except (redis.ConnectionError, redis.TimeoutError, OSError) as lost:
                if connection is not None:
                    connection.disconnect()
                if attempt == 2 or isinstance(lost, redis.AuthenticationError):
                    raise TransportConnectionError(f"redis: {lost}") from lost
            finally:
                if connection is not None:
                    pool.release(connection)

    def read_last(self, channel: str, key: str) -> bytes | None:
        """Return the stored last value of ``key`` on ``channel``."""
        with _translated_errors():
            value: bytes | None = self.client.get(self.names.last(channel, key))
        return value

    def read_all_last(self, channel: str) -> list[bytes]:
        """Return every stored last value of ``channel`` (SCAN + MGET)."""
        keys: list[bytes | str] = [self.names.last(channel)]
        with _translated_errors():
            keys += list(self.client.scan_iter(match=self.names.last_pattern(channel), count=1000))
            values: list[bytes] = []
            for start in range(0, len(keys), 500):
                values += [v for v in self.client.mget(keys[start : start + 500]) if v is not None]
        return values

    def open_subscription(self, channels: Sequence[str]) -> _RedisSubscription:
        """Subscribe to the pub/sub side of ``channels``."""
        names = {self.names.pubsub(require_channel(channel)): channel for channel in channels}
        with _translated_errors():
            return _RedisSubscription(self.pubsub_client, names)

    def ensure_group(self, channel: str, group: str) -> None:
        """Create ``group`` on the stream of ``channel`` from its start (MKSTREAM) if missing."""
        import redis

        with _translated_errors():
            try:
                self.client.xgroup_create(self.names.stream(channel), group, id="0", mkstream=True)
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    def _raw_command(self, *arguments: bytes | str | int) -> Any:
        """Send one command on a pooled connection and return its reply as the parser gives it.

        Skips redis-py's reply callbacks (its stream-reply conversion builds a dict per entry);
        like the client's own commands, a lost connection is retried once on a fresh one.
        ``redis.ResponseError`` propagates.
        """
        import redis

        pool = self.client.connection_pool
        for attempt in (1, 2):
            connection = None
            try:
                connection = pool.get_connection()
                connection.send_command(*arguments)
                return connection.read_response()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as lost:
                if connection is not None:
                    connection.disconnect()
                if attempt == 2 or isinstance(lost, redis.AuthenticationError):
                    raise TransportConnectionError(f"redis: {lost}") from lost
            finally:
                if connection is not None:
                    pool.release(connection)
        raise AssertionError("unreachable")  # pragma: no cover

    def read_group(
        self, channel: str, group: str, consumer: str, *, count: int, block_ms: int, pending: bool
    ) -> list[StreamEntry]:
        """XREADGROUP new entries (``>``) or, with ``pending``, the consumer's own (``0``).

        The command is sent directly and its raw reply turned into entries in one pass.
        """
        import redis

        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        arguments: list[bytes | str | int] = [b"XREADGROUP", b"GROUP", group, consumer]
        arguments += [b"COUNT", count]
        if not pending and block_ms > 0:
            arguments += [b"BLOCK", block_ms]
        arguments += [b"STREAMS", self.names.stream(channel), b"0" if pending else b">"]
        try:
            reply = self._raw_command(*arguments)
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            raise KeyError(f"no consumer group {group!r} on {channel!r}") from error
        return _raw_stream_entries(reply)

    def acknowledge(self, channel: str, group: str, entry_ids: Sequence[str]) -> int:
        """XACK ``entry_ids``."""
        if not entry_ids:
            return 0
        with _translated_errors():
            return int(self.client.xack(self.names.stream(channel), group, *entry_ids))

    def claim_idle(
        self, channel: str, group: str, consumer: str, *, min_idle_ms: int, start: str, count: int
    ) -> tuple[str, list[StreamEntry]]:
        """XAUTOCLAIM entries idle for at least ``min_idle_ms``."""
        import redis

        with _translated_errors():
            try:
                response = self.client.xautoclaim(
                    self.names.stream(channel),
                    group,
                    consumer,
                    min_idle_time=min_idle_ms,
                    start_id=start,
                    count=count,
                )
            except redis.ResponseError as error:
                if "NOGROUP" not in str(error):
                    raise
                raise KeyError(f"no consumer group {group!r} on {channel!r}") from error
        return _text(response[0]), _entries(response[1])

    def pending_count(self, channel: str, group: str) -> int:
        """XPENDING summary count."""
        with _translated_errors():
            summary = self.client.xpending(self.names.stream(channel), group)
        return int(summary["pending"])

    def group_lag(self, channel: str, group: str) -> int | None:
        """The ``lag`` of XINFO GROUPS (None when Redis cannot tell)."""
        import redis

        with _translated_errors():
            try:
                groups = self.client.xinfo_groups(self.names.stream(channel))
            except redis.ResponseError:
                return None
        for info in groups:
            if _text(info["name"]) == group:
                lag = info.get("lag")
                return None if lag is None else int(lag)
        return None

    def add_dead_letter(self, channel: str, fields: Mapping[str, bytes]) -> str:
        """XADD to ``<channel>:dead`` (bounded like the stream)."""
        with _translated_errors():
            entry_id = self.client.xadd(
                self.names.dead(channel),
                dict(fields),
                maxlen=self.stream_max_length,
                approximate=True,
            )
        return _text(entry_id)

    def read_dead(self, channel: str, count: int) -> list[tuple[str, dict[str, bytes]]]:
        """XREVRANGE the dead-letter stream, returned oldest first."""
        with _translated_errors():
            rows = self.client.xrevrange(self.names.dead(channel), count=count)
        return [
            (_text(entry_id), {_text(name): value for name, value in fields.items()})
            for entry_id, fields in reversed(rows)
        ]

    def read_stream(
        self, channel: str, *, after: str, count: int, block_ms: int | None
    ) -> list[StreamEntry]:
        """XREAD entries after ``after``."""
        with _translated_errors():
            response = self.client.xread(
                {self.names.stream(channel): after}, count=count, block=block_ms
            )
        return _entries(response[0][1]) if response else []
