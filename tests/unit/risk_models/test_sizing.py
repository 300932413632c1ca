"""The shared sizing rule."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk_models.parameters import StrategyParameters
from risk_models.sizing import (
    SizingError,
    entry_weight,
    entry_weights,
    limit_to_current,
    target_weights,
)
from risk_models.states import RiskState

PARAMETERS = StrategyParameters().replace(
    entry_confidence=0.7, max_allocation=0.4, gross_exposure_cap=1.0
)


def test_entry_weight_follows_the_brief() -> None:
    kwargs = {"entry_confidence": 0.7, "max_allocation": 0.4}
    assert entry_weight(0.0082, 0.76, **kwargs) == 0.4
    assert entry_weight(-0.01, 0.9, **kwargs) == -0.4
    assert entry_weight(0.01, 0.7, **kwargs) == 0.0
    assert entry_weight(0.01, 0.5, **kwargs) == 0.0
    assert entry_weight(0.0, 0.9, **kwargs) == 0.0
    assert entry_weight(0.001, 0.9, min_prediction_magnitude=0.002, **kwargs) == 0.0


def test_targets_scaled_by_risk_factor_and_closed_below_threshold() -> None:
    weights = target_weights(
        {"BTCUSD": (0.0082, 0.76), "ETHUSD": (0.01, 0.6)},
        parameters=PARAMETERS,
        risk_factor=0.8,
        current_weights={"ETHUSD": 0.3, "SPY": 0.1},
    )
    assert weights == pytest.approx({"BTCUSD": 0.32, "ETHUSD": 0.0, "SPY": 0.0})


def test_gross_exposure_cap_scales_proportionally() -> None:
    forecasts = {name: (0.01 if i % 2 else -0.01, 0.9) for i, name in enumerate("ABCDE")}
    weights = target_weights(forecasts, parameters=PARAMETERS)
    assert sum(abs(w) for w in weights.values()) == pytest.approx(1.0)
    assert weights["A"] == pytest.approx(-0.2)
    assert weights["B"] == pytest.approx(0.2)


def test_reducing_never_grows_or_flips() -> None:
    weights = target_weights(
        {"A": (0.01, 0.9), "B": (0.01, 0.9), "C": (-0.01, 0.9), "D": (0.01, 0.9)},
        parameters=PARAMETERS,
        state="reducing",
        current_weights={"A": 0.1, "B": 0.6, "C": 0.2},
    )
    # Four entries of 0.4 are capped to 0.25 each; A keeps its smaller holding.
    assert weights == pytest.approx({"A": 0.1, "B": 0.25, "C": 0.0, "D": 0.0})


def test_halted_is_flat() -> None:
    weights = target_weights(
        {"A": (0.01, 0.9)},
        parameters=PARAMETERS,
        state=RiskState.HALTED,
        current_weights={"B": -0.3},
    )
    assert weights == {"A": 0.0, "B": 0.0}


@pytest.mark.parametrize(
    ("forecasts", "kwargs"),
    [
        ({"A": (float("nan"), 0.9)}, {}),
        ({"A": (0.01, 1.5)}, {}),
        ({"A": (0.01, 0.9)}, {"risk_factor": 1.2}),
        ({"A": (0.01, 0.9)}, {"state": "paused"}),
        ({"A": (0.01, 0.9)}, {"current_weights": {"A": float("inf")}}),
    ],
)
def test_bad_input_raises(
    forecasts: dict[str, tuple[float, float]], kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - SizingError and the enum's ValueError
        target_weights(forecasts, parameters=PARAMETERS, **kwargs)  # type: ignore[arg-type]


def test_sizing_error_is_a_value_error() -> None:
    with pytest.raises(SizingError, match="confidence"):
        entry_weight(0.01, -0.1, entry_confidence=0.7, max_allocation=0.4)


finite = st.floats(min_value=-0.2, max_value=0.2, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0)
books = st.dictionaries(st.sampled_from(list("ABCDEFG")), st.tuples(finite, unit), max_size=7)
holdings = st.dictionaries(st.sampled_from(list("ABCDEFG")), st.floats(-1.0, 1.0), max_size=7)


@given(books, holdings, unit, st.sampled_from(list(RiskState)))
def test_properties(
    forecasts: dict[str, tuple[float, float]],
    current: dict[str, float],
    factor: float,
    state: RiskState,
) -> None:
    weights = target_weights(
        forecasts, parameters=PARAMETERS, risk_factor=factor, state=state, current_weights=current
    )
    assert set(weights) == set(forecasts) | set(current)
    assert sum(abs(w) for w in weights.values()) <= PARAMETERS.gross_exposure_cap * factor + 1e-12
    if state is RiskState.HALTED:
        assert all(w == 0.0 for w in weights.values())
    if state is RiskState.REDUCING:
        for symbol, weight in weights.items():
            held = current.get(symbol, 0.0)
            assert abs(weight) <= abs(held) + 1e-12
            assert weight * held >= 0.0


@given(st.floats(-1, 1), st.floats(-1, 1))
def test_limit_to_current_property(target: float, current: float) -> None:
    limited = limit_to_current(target, current)
    assert abs(limited) <= abs(current)
    assert abs(limited) <= abs(target)
    assert limited * current >= 0.0


# ---------------------------------------------------------------- vectorized form


def test_entry_weights_trade_only_above_the_threshold() -> None:
    prediction = np.array([0.01, -0.02, 0.03, 0.01, np.nan, 0.0])
    confidence = np.array([0.71, 0.71, 0.70, np.nan, 0.9, 0.9])
    weights = entry_weights(prediction, confidence, entry_confidence=0.7, max_allocation=0.5)
    np.testing.assert_array_equal(weights, [0.5, -0.5, 0.0, 0.0, 0.0, 0.0])


def test_entry_weights_refuse_impossible_confidence() -> None:
    with pytest.raises(SizingError, match=r"\[0, 1\]"):
        entry_weights(np.ones(2), np.array([0.6, 1.2]), entry_confidence=0.5)
    with pytest.raises(SizingError, match="same shape"):
        entry_weights(np.ones(2), np.ones(3), entry_confidence=0.5)


@given(
    rows=st.lists(
        st.tuples(
            st.floats(-0.1, 0.1, allow_nan=False),
            st.floats(0.0, 1.0, allow_nan=False),
        ),
        min_size=1,
        max_size=30,
    ),
    threshold=st.floats(0.5, 1.0),
    magnitude=st.floats(0.0, 0.05),
)
def test_entry_weights_agree_with_the_scalar_rule(
    rows: list[tuple[float, float]], threshold: float, magnitude: float
) -> None:
    prediction = np.array([row[0] for row in rows])
    confidence = np.array([row[1] for row in rows])
    vector = entry_weights(
        prediction,
        confidence,
        entry_confidence=threshold,
        max_allocation=0.25,
        min_prediction_magnitude=magnitude,
    )
    scalar = [
        entry_weight(
            p,
            c,
            entry_confidence=threshold,
            max_allocation=0.25,
            min_prediction_magnitude=magnitude,
        )
        for p, c in rows
    ]
    np.testing.assert_array_equal(vector, scalar)
