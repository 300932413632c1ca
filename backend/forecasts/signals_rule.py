"""The pure rule turning a forecast into a signal: direction, strength, and whether it is active."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SignalValues:
    """The signal a forecast implies."""

    direction: int
    strength: float
    active: bool


def signal_from_forecast(
    *,
    prediction: float,
    confidence: float,
    entry_threshold: float,
    min_magnitude: float = 0.0,
    tradable: bool = True,
) -> SignalValues:
    """Direction is the sign of the prediction (flat below ``min_magnitude``); active at entry.

    A forecast of a model version that is not live (``tradable`` false) keeps its
    direction and strength but is never active: nothing trades on it.
    """
    if abs(prediction) <= min_magnitude or prediction == 0.0:
        direction = 0
    else:
        direction = int(math.copysign(1, prediction))
    return SignalValues(
        direction=direction,
        strength=direction * confidence,
        active=tradable and direction != 0 and confidence >= entry_threshold,
    )
