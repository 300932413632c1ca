"""The brief's sizing rule: trade the forecast's sign when confidence clears a threshold."""

from __future__ import annotations

import numpy as np

from alpha_models.arrays import Array

DEFAULT_ENTRY_CONFIDENCE = 0.5
"""Default entry threshold, chosen from out-of-sample evidence (see README.md)."""


def check_entry_confidence(entry_confidence: float) -> float:
    """Return ``entry_confidence`` if it is a probability, else raise ``ValueError``."""
    if not 0.0 <= entry_confidence <= 1.0:
        raise ValueError(f"entry confidence must be between 0 and 1; got {entry_confidence}")
    return float(entry_confidence)


def target_positions(
    prediction: Array,
    confidence: Array,
    *,
    entry_confidence: float = DEFAULT_ENTRY_CONFIDENCE,
    max_allocation: float = 1.0,
    risk_factor: float = 1.0,
) -> Array:
    """Return ``sign(prediction) * max_allocation * risk_factor`` where confidence clears the threshold.

    Rows whose confidence is below ``entry_confidence`` (or not finite) get 0 (flat).
    A confidence equal to the threshold trades.
    """
    check_entry_confidence(entry_confidence)
    if max_allocation < 0 or not 0.0 <= risk_factor <= 1.0:
        raise ValueError("max_allocation must be >= 0 and risk_factor in [0, 1]")
    confident = np.isfinite(confidence) & (confidence >= entry_confidence)
    sign = np.sign(np.nan_to_num(prediction))
    return np.where(confident, sign * max_allocation * risk_factor, 0.0)
