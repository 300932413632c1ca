"""``ats forecast evaluate``'s gating on synthetic panels whose truth is known.

Both panels go through the real pipeline: LEAN data folder → walk-forward (LightGBM,
monthly retraining) → next-bar returns → ``gate_walk_forward`` → scoring.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from alpha_models.walk_forward import WalkForwardConfig
from engines.forecast.research import EvaluationRun, run_evaluation
from engines.forecast.sources import BarRequest
from engines.forecast.strategy import simulate
from signal_bus.horizon import Horizon
from tests.unit.evaluation.panels import SYMBOLS, panel, write_panel

SCORED_FROM = pd.Timestamp("2015-01-01")


def evaluate(folder: Path) -> EvaluationRun:
    request = BarRequest(
        source="lean",
        data_folder=folder,
        security_type="equity",
        market="usa",
        resolution="daily",
        symbols=tuple(symbol.lower() for symbol in SYMBOLS),
    )
    config = WalkForwardConfig(
        horizon=Horizon("1d"),
        resolution="daily",
        hours_per_day=request.hours_per_day,
        model="lightgbm",
        seed=0,
        retrain_frequency="monthly",
    )
    return run_evaluation(request, config, start=SCORED_FROM, end=None, entry_confidence=0.5)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> EvaluationRun:
    folder = write_panel(tmp_path_factory.mktemp("planted"), panel(coefficient=0.3))
    return evaluate(folder)


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> EvaluationRun:
    folder = write_panel(tmp_path_factory.mktemp("noise"), panel(coefficient=0.0))
    return evaluate(folder)


def test_a_predictable_panel_gets_a_live_model_and_the_gated_rule_trades(
    planted: EvaluationRun,
) -> None:
    gates = planted.report.gates
    assert gates["status_counts"]["live"] > 0
    assert gates["first_live"] is not None
    statuses = [decision["status"] for decision in gates["decisions"]]
    first_live = statuses.index("live")
    # The lifecycle order holds: unproven first, then a shadow period, then live.
    assert statuses[0] == "candidate"
    assert statuses[first_live - 1] == "shadow"
    assert gates["newest"]["status"] == "live"
    assert all(gate["passed"] for gate in gates["newest"]["gates"])
    forecasts = planted.forecasts
    assert (forecasts["tradable"] == (forecasts["status"] == "live")).all()
    assert 0.0 < gates["tradable_share"] < 1.0
    gated = planted.report.pooled["strategy"]
    assert gated == gates["gated"]
    assert gated["share_invested"] > 0.3
    assert gated["total_return"] > 0.0
    every = planted.report.pooled["every_forecast"]
    assert every["share_invested"] > gated["share_invested"]


def test_forecasts_before_the_scored_period_count_as_evidence(planted: EvaluationRun) -> None:
    decisions = planted.report.gates["decisions"]
    before = [d for d in decisions if pd.Timestamp(d["valid_from"]) < SCORED_FROM]
    assert before, "the walk-forward ran over the history before --start"
    assert planted.forecasts["time"].min() >= SCORED_FROM
    # The first version of the scored period was judged on the record before it: none of
    # the scored forecasts had resolved when it started.
    first_scored = next(d for d in planted.decisions if d.valid_from >= SCORED_FROM)
    assert first_scored.decision.gates.dates >= 60
    assert first_scored.decision.gates.result("evidence") is not None


def test_a_pure_noise_panel_never_goes_live_and_the_gated_rule_holds_nothing(
    noise: EvaluationRun,
) -> None:
    gates = noise.report.gates
    assert gates["status_counts"]["live"] == 0
    assert gates["first_live"] is None
    assert gates["tradable_share"] == 0.0
    assert not noise.forecasts["tradable"].any()
    assert gates["newest"]["status"] != "live"
    assert gates["newest"]["reasons"], "a version that is not live says why"
    verdicts = {gate["name"]: gate for gate in gates["newest"]["gates"]}
    assert not verdicts["ic_t"]["passed"]
    assert verdicts["ic_t"]["statistic"] < verdicts["ic_t"]["threshold"]
    gated = noise.report.pooled["strategy"]
    assert gated["share_invested"] == 0.0  # every weight is zero
    assert gated["total_return"] == 0.0
    assert gated["sharpe"] == 0.0
    every = noise.report.pooled["every_forecast"]
    assert every["share_invested"] > 0.5  # trading every forecast does trade the noise
    assert simulate(noise.forecasts, 0.5, 252).share_invested == 0.0
    for symbol in noise.report.per_symbol.values():
        assert symbol["strategy"]["share_invested"] == 0.0
