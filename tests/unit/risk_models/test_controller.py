"""The risk state machine: transitions, hysteresis, latches, re-arms, persistence, properties."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk_models.breakers import BreakerError
from risk_models.controller import RiskController
from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.states import RiskState

T0 = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
PARAMETERS = StrategyParameters().replace(state_min_dwell_seconds=600.0)


def fresh(now: datetime, **values: float) -> RiskInputs:
    """Inputs with fresh forecasts and market data at ``now``."""
    return RiskInputs(last_forecast_at=now, last_market_data_at=now, **values)  # type: ignore[arg-type]


def test_calm_market_is_active_with_full_factor() -> None:
    decision = RiskController().evaluate(fresh(T0, confidence=0.8, drawdown=0.01), PARAMETERS, T0)
    assert decision.state is RiskState.ACTIVE
    assert decision.risk_factor == 1.0
    assert decision.reasons == ()
    assert decision.ts == T0


def test_brief_example_factors_multiply() -> None:
    brief = PARAMETERS.replace(low_confidence_threshold=0.6)
    decision = RiskController().evaluate(
        fresh(T0, confidence=0.55, drawdown=0.06, volatility_ratio=2.5), brief, T0
    )
    assert decision.risk_factor == pytest.approx(0.8 * 0.5 * 0.6)
    assert decision.reasons == ("low_confidence", "drawdown", "high_volatility")
    assert decision.state is RiskState.ACTIVE
    assert decision.inputs["confidence"] == 0.55


def test_drawdown_limit_halts_and_latches_until_rearm() -> None:
    controller = RiskController()
    decision = controller.evaluate(fresh(T0, drawdown=0.2), PARAMETERS, T0)
    assert decision.state is RiskState.HALTED
    assert decision.risk_factor == 0.0
    assert "drawdown_limit" in decision.reasons
    later = T0 + timedelta(hours=2)
    decision = controller.evaluate(fresh(later, drawdown=0.0), PARAMETERS, later)
    assert decision.state is RiskState.HALTED, "a latched breaker must not clear by itself"
    assert "drawdown_limit" in decision.reasons

    record = controller.rearm("drawdown_limit", reason="reviewed losses", by="ops", now=later)
    assert record.trip.inputs["drawdown"] == 0.2
    assert controller.rearms == (record,)
    after = later + timedelta(seconds=1)
    decision = controller.evaluate(fresh(after, drawdown=0.0), PARAMETERS, after)
    assert decision.state is RiskState.ACTIVE
    assert decision.risk_factor == 1.0


def test_an_early_rearm_still_waits_out_the_dwell_since_the_trip() -> None:
    controller = RiskController()
    controller.evaluate(fresh(T0, drawdown=0.2), PARAMETERS, T0)
    soon = T0 + timedelta(seconds=60)
    controller.rearm("drawdown_limit", reason="false alarm", by="ops", now=soon)
    decision = controller.evaluate(fresh(soon, drawdown=0.0), PARAMETERS, soon)
    assert decision.state is RiskState.HALTED
    assert decision.reasons == ("state_dwell",)
    assert decision.risk_factor == 0.0
    dwell_over = T0 + timedelta(seconds=PARAMETERS.state_min_dwell_seconds)
    decision = controller.evaluate(fresh(dwell_over, drawdown=0.0), PARAMETERS, dwell_over)
    assert decision.state is RiskState.ACTIVE
    assert decision.risk_factor == 1.0


def test_rearm_errors() -> None:
    controller = RiskController()
    with pytest.raises(BreakerError, match="not tripped"):
        controller.rearm("drawdown_limit", reason="x", by="ops", now=T0)
    with pytest.raises(BreakerError, match="unknown breaker"):
        controller.rearm("gremlins", reason="x", by="ops", now=T0)
    controller.evaluate(fresh(T0, drawdown=0.3), PARAMETERS, T0)
    with pytest.raises(BreakerError, match="reason"):
        controller.rearm("drawdown_limit", reason=" ", by="ops", now=T0)
    assert "drawdown_limit" in controller.latched


def test_volatility_spike_reduces_and_rearm_waits_for_clear_level() -> None:
    controller = RiskController()
    decision = controller.evaluate(fresh(T0, volatility_ratio=3.5), PARAMETERS, T0)
    assert decision.state is RiskState.REDUCING
    assert decision.risk_factor == pytest.approx(0.6)
    assert {"high_volatility", "volatility_spike"} <= set(decision.reasons)
    later = T0 + timedelta(hours=1)
    controller.evaluate(
        fresh(later, volatility_ratio=2.7), PARAMETERS, later
    )  # below trip, above clear
    with pytest.raises(BreakerError, match="volatility_clear_ratio"):
        controller.rearm(
            "volatility_spike", reason="calmer", by="ops", now=later, parameters=PARAMETERS
        )
    controller.evaluate(fresh(later, volatility_ratio=1.2), PARAMETERS, later)
    controller.rearm(
        "volatility_spike", reason="calmer", by="ops", now=later, parameters=PARAMETERS
    )
    decision = controller.evaluate(fresh(later, volatility_ratio=1.2), PARAMETERS, later)
    assert decision.state is RiskState.ACTIVE


def test_stale_forecasts_reduce_then_clear_after_dwell() -> None:
    controller = RiskController()
    old = T0 - timedelta(seconds=PARAMETERS.stale_forecast_seconds + 1)
    decision = controller.evaluate(
        RiskInputs(last_forecast_at=old, last_market_data_at=T0), PARAMETERS, T0
    )
    assert decision.state is RiskState.REDUCING
    assert "stale_forecasts" in decision.reasons
    assert decision.inputs["forecast_age_seconds"] > PARAMETERS.stale_forecast_seconds

    soon = T0 + timedelta(seconds=60)
    decision = controller.evaluate(fresh(soon), PARAMETERS, soon)
    assert decision.state is RiskState.REDUCING, "hysteresis: minimum dwell not yet over"
    assert "state_dwell" in decision.reasons

    later = T0 + timedelta(seconds=601)
    decision = controller.evaluate(fresh(later), PARAMETERS, later)
    assert decision.state is RiskState.ACTIVE


def test_flapping_input_does_not_flap_state() -> None:
    controller = RiskController()
    states = []
    for minute in range(10):
        now = T0 + timedelta(minutes=minute)
        age = PARAMETERS.stale_market_data_seconds + (10 if minute % 2 == 0 else -10)
        inputs = RiskInputs(last_forecast_at=now, last_market_data_at=now - timedelta(seconds=age))
        states.append(controller.evaluate(inputs, PARAMETERS, now).state)
    assert states == [RiskState.REDUCING] * 10


def test_never_seen_inputs_count_as_stale() -> None:
    decision = RiskController().evaluate(RiskInputs(), PARAMETERS, T0)
    assert decision.state is RiskState.REDUCING
    assert {"stale_forecasts", "stale_market_data"} <= set(decision.reasons)


def test_stale_latches_when_auto_clear_is_off() -> None:
    parameters = PARAMETERS.replace(auto_clear_stale=False, state_min_dwell_seconds=0.0)
    controller = RiskController()
    controller.evaluate(RiskInputs(last_market_data_at=T0), parameters, T0)
    later = T0 + timedelta(hours=1)
    assert controller.evaluate(fresh(later), parameters, later).state is RiskState.REDUCING
    controller.rearm("stale_forecasts", reason="feed restored", by="ops", now=later)
    assert controller.evaluate(fresh(later), parameters, later).state is RiskState.ACTIVE


def test_escalation_is_immediate_and_halt_beats_reducing() -> None:
    controller = RiskController()
    controller.evaluate(fresh(T0, volatility_ratio=3.5), PARAMETERS, T0)
    decision = controller.evaluate(fresh(T0, volatility_ratio=3.5, drawdown=0.2), PARAMETERS, T0)
    assert decision.state is RiskState.HALTED


def test_state_survives_a_json_round_trip() -> None:
    controller = RiskController()
    controller.evaluate(fresh(T0, drawdown=0.2, volatility_ratio=3.2), PARAMETERS, T0)
    controller.rearm("volatility_spike", reason="test", by="ops", now=T0)
    restored = RiskController.from_dict(json.loads(json.dumps(controller.to_dict())))
    assert set(restored.latched) == {"drawdown_limit"}
    assert restored.state is RiskState.HALTED
    assert restored.rearms == controller.rearms
    assert restored.last_decision == controller.last_decision
    later = T0 + timedelta(hours=5)
    assert restored.evaluate(fresh(later), PARAMETERS, later).state is RiskState.HALTED


def test_naive_time_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        RiskController().evaluate(RiskInputs(), PARAMETERS, datetime(2025, 1, 1))


# ------------------------------------------------------------------ properties
unit = st.floats(0.0, 1.0)
ages = st.floats(0.0, 50_000.0)


@st.composite
def measurements(draw: st.DrawFn) -> dict[str, float]:
    return {
        "confidence": draw(unit),
        "drawdown": draw(unit),
        "volatility_ratio": draw(st.floats(0.0, 10.0)),
        "hit_rate": draw(unit),
        "ic": draw(st.floats(-1.0, 1.0)),
        "forecast_age": draw(ages),
        "market_age": draw(ages),
    }


def build(values: dict[str, float]) -> RiskInputs:
    return RiskInputs(
        confidence=values["confidence"],
        drawdown=values["drawdown"],
        volatility_ratio=values["volatility_ratio"],
        skill_hit_rate=values["hit_rate"],
        skill_information_coefficient=values["ic"],
        skill_observations=50,
        last_forecast_at=T0 - timedelta(seconds=values["forecast_age"]),
        last_market_data_at=T0 - timedelta(seconds=values["market_age"]),
    )


def worsen(values: dict[str, float], deltas: dict[str, float]) -> dict[str, float]:
    return {
        "confidence": max(0.0, values["confidence"] - deltas["confidence"]),
        "drawdown": min(1.0, values["drawdown"] + deltas["drawdown"]),
        "volatility_ratio": values["volatility_ratio"] + deltas["volatility_ratio"],
        "hit_rate": max(0.0, values["hit_rate"] - deltas["hit_rate"]),
        "ic": max(-1.0, values["ic"] - deltas["ic"]),
        "forecast_age": values["forecast_age"] + deltas["forecast_age"],
        "market_age": values["market_age"] + deltas["market_age"],
    }


@given(measurements(), measurements())
def test_factor_in_unit_interval_and_halted_means_zero(
    first: dict[str, float], second: dict[str, float]
) -> None:
    controller = RiskController()
    for values in (first, second):
        decision = controller.evaluate(build(values), PARAMETERS, T0)
        assert 0.0 <= decision.risk_factor <= 1.0
        if decision.state is RiskState.HALTED:
            assert decision.risk_factor == 0.0


@given(measurements(), measurements().map(lambda d: {k: abs(v) for k, v in d.items()}))
def test_worse_inputs_never_raise_the_factor_or_relax_the_state(
    values: dict[str, float], deltas: dict[str, float]
) -> None:
    better = RiskController().evaluate(build(values), PARAMETERS, T0)
    worse = RiskController().evaluate(build(worsen(values, deltas)), PARAMETERS, T0)
    assert worse.risk_factor <= better.risk_factor
    assert worse.state.severity >= better.state.severity


@pytest.mark.parametrize("auto_clear_stale", [True, False])
def test_which_breakers_latch(auto_clear_stale: bool) -> None:
    from risk_models.breakers import BREAKER_STATES, breaker_latches

    latching = {
        name for name in BREAKER_STATES if breaker_latches(name, auto_clear_stale=auto_clear_stale)
    }
    stale = {"stale_forecasts", "stale_market_data"}
    expected = {"drawdown_limit", "volatility_spike"} | (set() if auto_clear_stale else stale)
    assert latching == expected
