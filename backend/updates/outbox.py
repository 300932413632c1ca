"""Per-connection bounded queue of outgoing frames, and the client-message rate limit."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .protocol import lagged_frame


@dataclass(frozen=True, slots=True)
class Frame:
    """An outgoing text frame.

    Attributes
    ----------
    text
        The JSON text sent.
    channel
        The bus channel of a ``message`` frame; empty for the gateway's own frames.
    published_at
        Epoch seconds the bus message was made (its ``ts_init``), for live messages only:
        the publish-to-push latency is measured from it.
    """

    text: str
    channel: str = ""
    published_at: float | None = None


class Outbox:
    """A bounded FIFO of frames for one connection: when full, the oldest frame is dropped.

    The number dropped since the last read is handed out as one ``lagged`` frame, placed
    where the gap is (before the next frame that survived).

    Parameters
    ----------
    capacity
        Frames held at most.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        self.capacity = capacity
        self._frames: deque[Frame] = deque()
        self._ready = asyncio.Event()
        self._missed = 0
        self.dropped = 0
        self.high_water = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, frame: Frame) -> Frame | None:
        """Queue ``frame``; return the frame dropped to make room, if any."""
        dropped = None
        if len(self._frames) >= self.capacity:
            dropped = self._frames.popleft()
            self._missed += 1
            self.dropped += 1
        self._frames.append(frame)
        self.high_water = max(self.high_water, len(self._frames))
        self._ready.set()
        return dropped

    async def get(self) -> Frame:
        """The next frame to send, or a ``lagged`` frame when some were dropped before it."""
        while True:
            if self._missed:
                missed, self._missed = self._missed, 0
                return Frame(lagged_frame(missed))
            if self._frames:
                return self._frames.popleft()
            self._ready.clear()
            await self._ready.wait()


class RateLimit:
    """A token bucket: ``burst`` messages at once, refilled at ``rate_per_second``."""

    def __init__(
        self,
        *,
        rate_per_second: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("need rate_per_second > 0 and burst >= 1")
        self.rate_per_second = rate_per_second
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def allow(self) -> bool:
        """Take a token if one is left."""
        now = self._clock()
        self._tokens = min(
            float(self.burst), self._tokens + (now - self._updated) * self.rate_per_second
        )
        self._updated = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False
