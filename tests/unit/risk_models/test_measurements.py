"""Volatility, drawdown and forecast-skill measurements, and the monitor that combines them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from risk_models.drawdown import DrawdownTracker
from risk_models.monitor import RiskMonitor, RiskMonitorConfig
from risk_models.parameters import StrategyParameters
from risk_models.skill import ForecastSkillTracker
from risk_models.states import RiskState
from risk_models.volatility import (
    GarchVolatility,
    estimate_volatility,
    garch_variance_forecast,
    realized_volatility,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def returns_with_spike(calm: int = 300, spike: int = 20, scale: float = 4.0) -> np.ndarray:
    rng = np.random.default_rng(7)
    values = rng.normal(0.0, 0.01, calm + spike)
    values[-spike:] *= scale
    return values


def test_realized_volatility_matches_sample_std() -> None:
    values = np.array([0.01, -0.02, 0.03, 0.0, 0.01])
    assert realized_volatility(values, 5) == pytest.approx(np.std(values, ddof=1))
    assert realized_volatility(values, 6) is None


def test_volatility_ratio_detects_a_spike() -> None:
    calm = estimate_volatility(
        returns_with_spike(scale=1.0), window=20, long_run_window=250, now=T0, refit_seconds=0.0
    )
    stressed = estimate_volatility(
        returns_with_spike(), window=20, long_run_window=250, now=T0, refit_seconds=0.0
    )
    assert calm is not None
    assert stressed is not None
    assert calm.ratio < 1.5
    assert stressed.ratio > 2.0


def test_garch_forecast_is_cached_between_refits() -> None:
    garch = GarchVolatility()
    values = returns_with_spike()
    first = garch.forecast(values, now=T0, refit_seconds=3600.0)
    assert first is not None
    assert first > 0.0
    assert garch.fitted_at == T0
    garch.forecast(values[:-1], now=T0 + timedelta(minutes=30), refit_seconds=3600.0)
    assert garch.fitted_at == T0, "refit before refit_seconds passed"
    garch.forecast(values, now=T0 + timedelta(hours=2), refit_seconds=3600.0)
    assert garch.fitted_at == T0 + timedelta(hours=2)
    assert garch.forecast(values[:50], now=T0, refit_seconds=0.0) is None


def test_drawdown_counts_from_high_water_mark_and_resets() -> None:
    tracker = DrawdownTracker()
    assert tracker.drawdown is None
    for equity, expected in [(100.0, 0.0), (110.0, 0.0), (99.0, 0.1), (104.5, 0.05)]:
        assert tracker.update(equity, T0) == pytest.approx(expected)
    tracker.reset()
    assert tracker.drawdown == 0.0
    assert DrawdownTracker.from_dict(json.loads(json.dumps(tracker.to_dict()))) == tracker
    with pytest.raises(ValueError, match="positive"):
        tracker.update(-5.0, T0)
    assert tracker.equity == 104.5


def test_skill_resolves_after_horizon() -> None:
    tracker = ForecastSkillTracker()
    tracker.observe_price("A", 100.0, T0)
    tracker.add_forecast("A", 0.01, made_at=T0, horizon=timedelta(hours=1))
    tracker.add_forecast("A", -0.01, made_at=T0, horizon=timedelta(hours=1))
    assert tracker.observe_price("A", 101.0, T0 + timedelta(minutes=30)) == 0
    assert tracker.observe_price("A", 102.0, T0 + timedelta(hours=1)) == 2
    score = tracker.score(10)
    assert score.observations == 2
    assert score.hit_rate == 0.5


def test_skill_information_coefficient_sign() -> None:
    tracker = ForecastSkillTracker()
    for value in np.linspace(-0.02, 0.02, 30):
        tracker.record_outcome(float(value), float(-value))
    score = tracker.score(30)
    assert score.information_coefficient == pytest.approx(-1.0)


def test_monitor_end_to_end_and_restart() -> None:
    parameters = StrategyParameters().replace(state_min_dwell_seconds=0.0)
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=60.0, use_garch=False))
    monitor.on_forecast("A", "1h", 0.01, 0.45, made_at=T0, horizon_length=timedelta(hours=1))
    monitor.on_portfolio(100_000.0, T0)
    monitor.on_portfolio(80_000.0, T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    decision = monitor.evaluate(parameters, now)
    assert decision.state is RiskState.HALTED
    assert {"low_confidence", "drawdown", "drawdown_limit"} <= set(decision.reasons)
    assert decision.inputs["drawdown"] == pytest.approx(0.2)

    restored = RiskMonitor.from_dict(json.loads(json.dumps(monitor.to_dict())))
    assert restored.evaluate(parameters, now).state is RiskState.HALTED
    restored.rearm("drawdown_limit", reason="reviewed", by="ops", now=now, parameters=parameters)
    restored.on_forecast("A", "1h", 0.01, 0.8, made_at=now, horizon_length=timedelta(hours=1))
    decision = restored.evaluate(parameters, now)
    assert decision.state is RiskState.ACTIVE
    assert decision.risk_factor == 1.0


def test_monitor_volatility_from_prices() -> None:
    parameters = StrategyParameters().replace(state_min_dwell_seconds=0.0)
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=60.0, use_garch=True))
    price = 100.0
    now = T0
    for step, value in enumerate(returns_with_spike()):
        now = T0 + timedelta(minutes=step)
        price *= 1.0 + value
        monitor.on_price("A", price, now)
    monitor.on_forecast("A", "1h", 0.01, 0.9, made_at=now, horizon_length=timedelta(hours=1))
    decision = monitor.evaluate(parameters, now)
    assert decision.inputs.get("volatility_ratio") > 2.0
    assert "high_volatility" in decision.reasons
    assert monitor.volatility()["A"].forecast is not None


def test_cached_filter_matches_arch_forecast() -> None:
    from arch import arch_model

    values = returns_with_spike()[-250:] * 100.0
    fitted = arch_model(values, mean="Zero", vol="GARCH", p=1, q=1, rescale=False).fit(disp="off")
    expected = float(fitted.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0])
    params = fitted.params
    ours = garch_variance_forecast(
        values, omega=params["omega"], alpha=params["alpha[1]"], beta=params["beta[1]"]
    )
    assert ours == pytest.approx(expected, rel=0.02)


def test_garch_refit_from_the_previous_fit_matches_a_fresh_fit() -> None:
    import numpy as np
    from arch.univariate import GARCH, Normal, ZeroMean

    from risk_models.volatility import _fit_garch, garch_variance_forecast

    process = ZeroMean(None, volatility=GARCH(), distribution=Normal(seed=np.random.default_rng(7)))
    simulated = process.simulate([0.05, 0.08, 0.9], 1_200, burn=200)
    scaled = simulated["data"].to_numpy()
    first = _fit_garch(scaled[:1_000])
    assert first is not None
    later = scaled[20:1_020]
    fresh = _fit_garch(later)
    warm = _fit_garch(later, starting=first)
    assert fresh is not None
    assert warm is not None
    fresh_sigma = garch_variance_forecast(later, omega=fresh[0], alpha=fresh[1], beta=fresh[2])
    warm_sigma = garch_variance_forecast(later, omega=warm[0], alpha=warm[1], beta=warm[2])
    assert warm_sigma == pytest.approx(fresh_sigma, rel=0.02)


def test_skill_score_follows_every_resolved_forecast() -> None:
    tracker = ForecastSkillTracker()
    tracker.record_outcome(0.01, 0.02)
    assert tracker.score(10).hit_rate == 1.0
    tracker.record_outcome(0.01, -0.02)
    assert tracker.score(10).hit_rate == 0.5
    assert tracker.score(1).hit_rate == 0.0  # another window is its own figure
    tracker.add_forecast("A", -0.01, made_at=T0, horizon=timedelta(hours=1))
    tracker.observe_price("A", 100.0, T0)
    tracker.observe_price("A", 99.0, T0 + timedelta(hours=1))
    score = tracker.score(10)
    assert (score.observations, score.hit_rate) == (3, pytest.approx(2 / 3))


def replayed(steps: list[tuple[datetime, float]], use_garch: bool) -> RiskMonitor:
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=60.0, use_garch=use_garch))
    for at, price in steps:
        monitor.on_price("A", price, at)
    return monitor


@pytest.mark.parametrize("use_garch", [False, True])
def test_evaluating_on_every_input_gives_the_figures_of_a_fresh_monitor(use_garch: bool) -> None:
    """The volatility estimates kept between evaluations never go stale: after every price
    (a new bar or one within the current bar) and a window change, the ratio equals that of a
    monitor given the same prices and evaluated once."""
    parameters = StrategyParameters().replace(
        volatility_window=10, volatility_long_run_window=120, garch_refit_seconds=600.0
    )
    live = RiskMonitor(RiskMonitorConfig(bar_seconds=60.0, use_garch=use_garch))
    steps: list[tuple[datetime, float]] = []
    price = 100.0
    for step, value in enumerate(returns_with_spike(calm=150, spike=30)):
        at = T0 + timedelta(seconds=30 * step)  # two prices per bar: every other one is a bar
        price *= 1.0 + value
        steps.append((at, price))
        live.on_price("A", price, at)
        ratio = live.evaluate(parameters, at).inputs.get("volatility_ratio")
        if step % 25 == 24 or step == 179:
            fresh = replayed(steps, use_garch)
            if use_garch:  # the same fit times as the live monitor's
                fresh._garch["A"] = live._garch["A"]
            assert ratio == fresh.evaluate(parameters, at).inputs.get("volatility_ratio")
    assert ratio is not None
    assert ratio > 1.5
    wider = parameters.replace(volatility_window=30)
    fresh = replayed(steps, use_garch)
    if use_garch:
        fresh._garch["A"] = live._garch["A"]
    at = steps[-1][0]
    assert live.evaluate(wider, at).inputs.get("volatility_ratio") == pytest.approx(
        fresh.evaluate(wider, at).inputs.get("volatility_ratio")
    )
    assert live.evaluate(wider, at).inputs.get("volatility_ratio") != ratio


def test_garch_refit_still_falls_due_between_bars() -> None:
    parameters = StrategyParameters().replace(garch_refit_seconds=600.0)
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=60.0, use_garch=True))
    price = 100.0
    for step, value in enumerate(returns_with_spike()):
        price *= 1.0 + value
        monitor.on_price("A", price, T0 + timedelta(minutes=step))
    last = T0 + timedelta(minutes=319)
    monitor.evaluate(parameters, last)
    fitted = monitor._garch["A"].fitted_at
    monitor.evaluate(parameters, last + timedelta(seconds=599))
    assert monitor._garch["A"].fitted_at == fitted
    monitor.evaluate(parameters, last + timedelta(seconds=600))
    assert monitor._garch["A"].fitted_at == last + timedelta(seconds=600)
