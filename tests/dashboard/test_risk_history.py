"""Breaker trips: a trip is the first decision naming a breaker, not every one that holds it."""

from __future__ import annotations

from typing import Any

from dashboard.components.risk_history import breaker_trips


def decision(hour: int, state: str, *reasons: str) -> dict[str, Any]:
    return {
        "timestamp": f"2026-01-01T{hour:02d}:00:00Z", "risk_factor": 0.0 if state == "halted" else 1.0,
        "state": state, "reasons": list(reasons), "inputs": {},
    }  # fmt: skip


def test_a_held_breaker_is_one_trip_and_a_new_trip_after_rearm_is_another() -> None:
    history = [  # newest first, as the API answers
        decision(6, "halted", "drawdown_limit"),
        decision(5, "active"),  # re-armed
        decision(4, "halted", "drawdown_limit", "volatility_spike"),
        decision(3, "halted", "drawdown_limit", "low_confidence"),
        decision(2, "halted", "drawdown", "drawdown_limit"),
        decision(1, "reducing", "low_confidence"),
    ]
    trips = breaker_trips(history)  # type: ignore[arg-type]
    assert [(trip["timestamp"][11:13], trip["breaker"]) for trip in trips] == [  # type: ignore[index]
        ("06", "drawdown_limit"),
        ("04", "volatility_spike"),
        ("02", "drawdown_limit"),
    ]


def test_no_breaker_no_trip() -> None:
    assert breaker_trips([decision(1, "reducing", "low_confidence")]) == []  # type: ignore[list-item]
