"""Reconnect delays grow exponentially, are capped, jittered downwards, and reset."""

from __future__ import annotations

import random

import pytest

from signal_bus.backoff import Backoff, BackoffConfig


def test_delays_grow_and_are_capped() -> None:
    backoff = Backoff(BackoffConfig(initial_delay_s=0.1, max_delay_s=1.0, jitter=0.0))
    delays = [backoff.next_delay() for _ in range(6)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    backoff.reset()
    assert backoff.next_delay() == pytest.approx(0.1)


def test_jitter_only_shortens_within_bounds() -> None:
    config = BackoffConfig(initial_delay_s=1.0, max_delay_s=1.0, jitter=0.5)
    backoff = Backoff(config, _random=random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(0.5 <= delay <= 1.0 for delay in delays)
    assert len({round(delay, 6) for delay in delays}) > 100


@pytest.mark.parametrize(
    "values",
    [
        {"initial_delay_s": 0.0},
        {"initial_delay_s": 2.0, "max_delay_s": 1.0},
        {"multiplier": 0.5},
        {"jitter": 1.0},
    ],
)
def test_bad_config_is_rejected(values: dict[str, float]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        BackoffConfig(**values)
