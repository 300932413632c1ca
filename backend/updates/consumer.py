"""The ``/ws/updates/`` consumer: authenticate, subscribe, then push bus messages.

Every outgoing frame goes through the connection's :class:`~.outbox.Outbox`, written by
one sender task; the fan-out only appends to it, so a client that does not read holds
back nobody but itself (its oldest frames are dropped and counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .auth import TokenHolder, TokenRefused, channels_readable, token_holder_check
from .config import GatewayLimits
from .fanout import BusEntry, BusFanout
from .metrics import (
    UPDATES_AUTH_REFUSED,
    UPDATES_CLIENT_ERRORS,
    UPDATES_CONNECTIONS,
    UPDATES_DROPPED,
    UPDATES_PUSH_LATENCY,
    UPDATES_PUSHED,
)
from .outbox import Frame, Outbox, RateLimit
from .protocol import (
    CLOSE_AUTH_FAILED,
    CLOSE_AUTH_TIMEOUT,
    CLOSE_FORBIDDEN,
    ERROR_RATE_LIMITED,
    ERROR_TOO_LARGE,
    ERROR_UNKNOWN_TYPE,
    STATE_LIVE,
    ClientMessageError,
    Subscription,
    auth_token,
    client_message_parse,
    error_frame,
    status_frame,
    subscribed_frame,
    subscription_parse,
)

# Seconds a subscribe waits for the fan-out's first bus connection before answering.
FIRST_CONNECTION_WAIT_S = 3.0


@database_sync_to_async
def _token_holder(raw_token: str) -> TokenHolder:
    return token_holder_check(raw_token=raw_token)


class UpdatesConsumer(AsyncWebsocketConsumer):
    """One WebSocket client of the live-updates gateway.

    Parameters
    ----------
    fanout
        The process's bus fan-out.
    limits
        Timeouts, queue size and client-message limits.
    """

    def __init__(self, *args: Any, fanout: BusFanout, limits: GatewayLimits, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fanout = fanout
        self.limits = limits
        self.outbox = Outbox(limits.queue_size)
        self.subscription: Subscription | None = None
        self._rate = RateLimit(rate_per_second=limits.rate_per_second, burst=limits.burst)
        self._holder: TokenHolder | None = None
        self._token = ""
        self._readable: frozenset[str] = frozenset()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._counted = False

    # ------------------------------------------------------------ connection

    async def connect(self) -> None:
        await self.accept()
        UPDATES_CONNECTIONS.inc()
        self._counted = True
        self._tasks.append(asyncio.create_task(self._watch_token()))

    async def disconnect(self, code: int) -> None:
        self._closing = True
        self.fanout.detach(self)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._counted:
            UPDATES_CONNECTIONS.dec()
            self._counted = False

    async def _shut(self, code: int, reason: str) -> None:
        """Close with ``code``; frames still queued are not sent."""
        if self._closing:
            return
        self._closing = True
        self.fanout.detach(self)
        await self.close(code=code, reason=reason)

    # ------------------------------------------------------------ client messages

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self._closing:
            return
        if text_data is None:
            text_data = (bytes_data or b"").decode("utf-8", "replace")
        too_large = len(text_data.encode("utf-8", "surrogatepass")) > self.limits.max_message_bytes
        if self._holder is None:
            await self._first_message(text_data, too_large=too_large)
            return
        try:
            if too_large:
                raise ClientMessageError(
                    ERROR_TOO_LARGE, f"a message may hold {self.limits.max_message_bytes} bytes"
                )
            if not self._rate.allow():
                raise ClientMessageError(
                    ERROR_RATE_LIMITED,
                    f"at most {self.limits.rate_per_second:g} messages per second "
                    f"(bursts of {self.limits.burst}); this one was ignored",
                )
            document = client_message_parse(text_data)
            kind = document["type"]
            if kind == "auth":
                await self._reauthenticate(document)
            elif kind == "subscribe":
                await self._subscribe(subscription_parse(document, allowed=self._readable))
            else:
                raise ClientMessageError(
                    ERROR_UNKNOWN_TYPE, f"{kind[:40]!r}; expected auth or subscribe"
                )
        except ClientMessageError as refused:
            UPDATES_CLIENT_ERRORS.labels(refused.reason).inc()
            self._put(Frame(error_frame(refused.reason, refused.detail)))

    async def _first_message(self, text: str, *, too_large: bool) -> None:
        token = None
        if not too_large:
            with contextlib.suppress(ClientMessageError):
                token = auth_token(client_message_parse(text))
        if token is None:
            await self._refuse(CLOSE_AUTH_FAILED, "auth_required")
            return
        holder = await self._check(token)
        if holder is None or self._closing:
            return
        self._token = token
        self._holder = holder
        self._readable = channels_readable(
            roles=holder.roles, execution_roles=self.limits.execution_roles
        )
        self.fanout.attach(self)
        self._tasks.append(asyncio.create_task(self._send_frames()))

    async def _reauthenticate(self, document: dict[str, Any]) -> None:
        token = auth_token(document)
        if token is None:
            raise ClientMessageError("malformed", "an auth message needs a non-empty 'token'")
        holder = await self._check(token)
        if holder is not None:
            self._token = token
            self._holder = holder
            self._readable = channels_readable(
                roles=holder.roles, execution_roles=self.limits.execution_roles
            )

    async def _check(self, token: str) -> TokenHolder | None:
        """The token's holder; on refusal the connection is closed and None returned."""
        try:
            holder = await _token_holder(token)
        except TokenRefused as refused:
            await self._refuse(CLOSE_AUTH_FAILED, refused.reason)
            return None
        if not holder.roles:
            await self._refuse(CLOSE_FORBIDDEN, "no_role")
            return None
        return holder

    async def _refuse(self, code: int, reason: str) -> None:
        UPDATES_AUTH_REFUSED.labels(reason).inc()
        await self._shut(code, reason)

    async def _subscribe(self, subscription: Subscription) -> None:
        await self.fanout.wait_ready(FIRST_CONNECTION_WAIT_S)
        # No await from here on: the current values and the subscription change together,
        # so no live message falls between them or comes twice.
        current = self.fanout.current(subscription)
        self.subscription = subscription
        self._put(Frame(subscribed_frame(subscription, len(current))))
        for entry in current:
            self._put(Frame(entry.frame, entry.channel))
        if self.fanout.state != STATE_LIVE:
            self._put(Frame(status_frame(self.fanout.state)))

    # ------------------------------------------------------------ fan-out listener

    def bus_message(self, entry: BusEntry) -> None:
        subscription = self.subscription
        if subscription is not None and subscription.matches(entry.channel, entry.message):
            self._put(Frame(entry.frame, entry.channel, entry.published_at))

    def bus_state(self, state: str, current: Sequence[BusEntry]) -> None:
        self._put(Frame(status_frame(state)))
        subscription = self.subscription
        if subscription is None or state != STATE_LIVE:
            return
        for entry in self.fanout.current(subscription):
            self._put(Frame(entry.frame, entry.channel))

    def _put(self, frame: Frame) -> None:
        dropped = self.outbox.put(frame)
        if dropped is not None:
            UPDATES_DROPPED.labels(dropped.channel or "gateway").inc()

    # ------------------------------------------------------------ tasks

    async def _send_frames(self) -> None:
        while not self._closing:
            frame = await self.outbox.get()
            if self._closing:
                return
            await self.send(text_data=frame.text)
            if frame.channel:
                UPDATES_PUSHED.labels(frame.channel).inc()
                if frame.published_at is not None:
                    UPDATES_PUSH_LATENCY.observe(max(0.0, time.time() - frame.published_at))

    async def _watch_token(self) -> None:
        """Close unauthenticated connections in time; re-check tokens while connected."""
        await asyncio.sleep(self.limits.auth_timeout_s)
        if self._holder is None:
            if not self._closing:
                await self._refuse(CLOSE_AUTH_TIMEOUT, "auth_timeout")
            return
        while not self._closing:
            holder = self._holder
            until_expiry = max(0.0, holder.expires_at - time.time()) + 0.5
            await asyncio.sleep(min(self.limits.revalidate_s, until_expiry))
            if self._closing:
                return
            checked = await self._check(self._token)
            if checked is None:
                return
            self._holder = checked
            self._readable = channels_readable(
                roles=checked.roles, execution_roles=self.limits.execution_roles
            )
            subscription = self.subscription
            if subscription is not None and not subscription.channels <= self._readable:
                await self._refuse(CLOSE_FORBIDDEN, "role_removed")
                return
