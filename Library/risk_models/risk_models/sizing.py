"""The brief's sizing rule as a pure function, shared by LEAN, the engines and the evaluation.

Steps, in order:

1. A forecast whose calibrated confidence is above ``entry_confidence`` (and whose
   absolute prediction reaches ``min_prediction_magnitude``) targets
   ``sign(prediction) * max_allocation``; any other forecast, and any held symbol
   without a forecast, targets 0 (close).
2. If the sum of absolute weights exceeds ``gross_exposure_cap`` all weights are
   scaled down proportionally.
3. Every weight is multiplied by the risk factor.
4. State ``reducing``: no weight may increase the absolute exposure of the current
   holding, nor flip its side. State ``halted``: every weight is 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from risk_models.parameters import StrategyParameters
from risk_models.states import RiskState


class SizingError(ValueError):
    """An input to the sizing rule is not a finite number in its range."""


def entry_weight(
    prediction: float,
    confidence: float,
    *,
    entry_confidence: float,
    max_allocation: float,
    min_prediction_magnitude: float = 0.0,
) -> float:
    """Return the target weight of one forecast before caps and risk scaling.

    Parameters
    ----------
    prediction
        Expected return over the forecast horizon.
    confidence
        Calibrated probability that the sign of ``prediction`` is right, in [0, 1].
    entry_confidence
        Confidence a forecast must exceed to hold a position.
    max_allocation
        Absolute weight of a position that passes the threshold.
    min_prediction_magnitude
        Absolute prediction below which the forecast is treated as no signal.
    """
    _check_finite("prediction", prediction)
    _check_finite("confidence", confidence)
    if not 0.0 <= confidence <= 1.0:
        raise SizingError(f"confidence must be in [0, 1]; got {confidence!r}")
    if confidence <= entry_confidence or prediction == 0.0:
        return 0.0
    if abs(prediction) < min_prediction_magnitude:
        return 0.0
    return math.copysign(max_allocation, prediction)


def entry_weights(
    prediction: npt.NDArray[np.float64],
    confidence: npt.NDArray[np.float64],
    *,
    entry_confidence: float,
    max_allocation: float = 1.0,
    min_prediction_magnitude: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Vectorized :func:`entry_weight` over arrays of forecasts (research and evaluation).

    Rows whose prediction or confidence is not finite get 0, like a missing forecast.
    """
    prediction = np.asarray(prediction, dtype=np.float64)
    confidence = np.asarray(confidence, dtype=np.float64)
    if prediction.shape != confidence.shape:
        raise SizingError("prediction and confidence must have the same shape")
    _check_finite("entry_confidence", entry_confidence)
    _check_finite("max_allocation", max_allocation)
    finite = np.isfinite(prediction) & np.isfinite(confidence)
    if np.any((confidence[finite] < 0.0) | (confidence[finite] > 1.0)):
        raise SizingError("confidence must be in [0, 1]")
    trades = (
        finite
        & (confidence > entry_confidence)
        & (prediction != 0.0)
        & (np.abs(prediction) >= min_prediction_magnitude)
    )
    return np.where(trades, np.sign(np.nan_to_num(prediction)) * max_allocation, 0.0)


def target_weights(
    forecasts: Mapping[str, tuple[float, float]],
    *,
    parameters: StrategyParameters,
    risk_factor: float = 1.0,
    state: RiskState | str = RiskState.ACTIVE,
    current_weights: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Return target portfolio weights (fractions of equity) per symbol.

    Parameters
    ----------
    forecasts
        Symbol -> ``(prediction, confidence)`` of its live forecast.
    parameters
        Supplies ``entry_confidence``, ``max_allocation``, ``min_prediction_magnitude``
        and ``gross_exposure_cap``.
    risk_factor
        Multiplier in [0, 1] from the risk engine.
    state
        ``active``, ``reducing`` or ``halted``.
    current_weights
        Symbol -> current weight; needed for ``reducing``, and held symbols without a
        forecast are closed.

    Returns
    -------
    dict[str, float]
        A weight for every symbol in ``forecasts`` and ``current_weights``.
    """
    _check_finite("risk_factor", risk_factor)
    if not 0.0 <= risk_factor <= 1.0:
        raise SizingError(f"risk_factor must be in [0, 1]; got {risk_factor!r}")
    risk_state = RiskState(state)
    current = dict(current_weights or {})
    for symbol, weight in current.items():
        _check_finite(f"current weight of {symbol}", weight)

    weights = {
        symbol: entry_weight(
            prediction,
            confidence,
            entry_confidence=parameters.entry_confidence,
            max_allocation=parameters.max_allocation,
            min_prediction_magnitude=parameters.min_prediction_magnitude,
        )
        for symbol, (prediction, confidence) in forecasts.items()
    }
    for symbol in current:
        weights.setdefault(symbol, 0.0)

    gross = sum(abs(weight) for weight in weights.values())
    if gross > parameters.gross_exposure_cap:
        scale = parameters.gross_exposure_cap / gross
        weights = {symbol: weight * scale for symbol, weight in weights.items()}

    weights = {symbol: weight * risk_factor for symbol, weight in weights.items()}

    if risk_state is RiskState.HALTED:
        return dict.fromkeys(weights, 0.0)
    if risk_state is RiskState.REDUCING:
        return {
            symbol: limit_to_current(weight, current.get(symbol, 0.0))
            for symbol, weight in weights.items()
        }
    return {symbol: weight + 0.0 for symbol, weight in weights.items()}


def limit_to_current(target: float, current: float) -> float:
    """Return ``target`` limited so it neither grows ``|current|`` nor flips its side."""
    if current == 0.0 or target == 0.0 or math.copysign(1.0, target) != math.copysign(1.0, current):
        return 0.0
    return math.copysign(min(abs(target), abs(current)), current)


def _check_finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SizingError(f"{name} must be a finite number; got {value!r}")
