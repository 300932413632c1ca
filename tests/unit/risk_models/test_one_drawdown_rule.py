"""LEAN's local monitor and the risk engine's monitor apply one drawdown rule.

Both are driven with the same equity path and the same re-arms; the drawdown, the
high-water mark and the drawdown breaker's latch must agree at every step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from risk_models.breakers import DRAWDOWN_LIMIT
from risk_models.lean.local_risk_monitor import LocalRiskMonitor
from risk_models.monitor import RiskMonitor
from risk_models.parameters import StrategyParameters

START = datetime(2024, 1, 1, tzinfo=UTC)
PARAMETERS = StrategyParameters()


def _steps(moves: list[tuple[float, bool]]) -> list[tuple[float, float, bool, bool]]:
    """(local drawdown, engine drawdown, local latched, engine latched) after each step."""
    local, engine = LocalRiskMonitor(), RiskMonitor()
    equity = 100_000.0
    seen: list[tuple[float, float, bool, bool]] = []
    for index, (move, rearm) in enumerate(moves):
        now = START + timedelta(days=index)
        equity = max(equity * (1.0 + move), 1.0)
        if rearm and DRAWDOWN_LIMIT in engine.controller.latched:
            assert DRAWDOWN_LIMIT in local.controller.latched
            engine.rearm(
                DRAWDOWN_LIMIT, reason="test", by="operator", now=now, parameters=PARAMETERS
            )
            local.rearm(DRAWDOWN_LIMIT, reason="test", by="operator", now=now)
        local.evaluate(equity, now, PARAMETERS)
        engine.on_portfolio(equity, now)
        engine.evaluate(PARAMETERS, now)
        seen.append(
            (
                local.drawdown.drawdown or 0.0,
                engine.drawdown.drawdown or 0.0,
                DRAWDOWN_LIMIT in local.controller.latched,
                DRAWDOWN_LIMIT in engine.controller.latched,
            )
        )
    return seen


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=-0.12, max_value=0.1), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_same_equity_path_and_rearms_give_the_same_drawdown_and_latch(
    moves: list[tuple[float, bool]],
) -> None:
    for local_dd, engine_dd, local_latched, engine_latched in _steps(moves):
        assert local_dd == engine_dd
        assert local_latched == engine_latched


def test_rearm_restarts_the_high_water_mark_on_both_sides() -> None:
    # A 20 % loss trips the 15 % halt limit; after the re-arm the drawdown counts from
    # the equity at the re-arm, so a further 5 % loss does not trip it again.
    moves = [(0.0, False), (-0.2, False), (0.0, True), (-0.05, False)]
    seen = _steps(moves)
    assert seen[1][2]
    assert seen[1][3]
    assert not seen[3][2]
    assert not seen[3][3]
    assert seen[3][0] == seen[3][1] > 0.04
