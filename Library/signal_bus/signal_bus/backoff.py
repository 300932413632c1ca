"""Exponential backoff with jitter for reconnect loops."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BackoffConfig:
    """Delays between reconnect attempts.

    Attributes
    ----------
    initial_delay_s
        Delay after the first failure.
    max_delay_s
        Upper bound of the delay.
    multiplier
        Growth per consecutive failure.
    jitter
        Fraction of the delay drawn at random (0: none), so clients do not reconnect in step.
    """

    initial_delay_s: float = 0.1
    max_delay_s: float = 5.0
    multiplier: float = 2.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if not 0 < self.initial_delay_s <= self.max_delay_s:
            raise ValueError("need 0 < initial_delay_s <= max_delay_s")
        if self.multiplier < 1.0:
            raise ValueError("multiplier must be >= 1")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")


@dataclass
class Backoff:
    """The delay schedule of one reconnect loop."""

    config: BackoffConfig
    failures: int = 0
    _random: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Record a failure and return how long to wait before the next attempt."""
        base = min(
            self.config.initial_delay_s * self.config.multiplier**self.failures,
            self.config.max_delay_s,
        )
        self.failures += 1
        return base * (1.0 - self.config.jitter * self._random.random())

    def reset(self) -> None:
        """Forget past failures after a success."""
        self.failures = 0
