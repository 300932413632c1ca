"""The default forecasting engine on panels whose truth is known.

The walk-forward with every default (LightGBM stopped early on a purged validation
slice, the ``cs_rank`` target, the ``extended`` features; quarterly refits to keep the test
short) must recover a stated share of the planted signal's attainable per-date
cross-sectional rank IC in a calm panel and in one with a year four times as volatile,
with the skill and calibration gates passing, and must find nothing in pure noise, where
the promotion gates must fail.

Measured on these panels (30 assets, 4 years, scored from the second year): calm 0.070 of
the attainable 0.102 (68 %), bootstrap IC t 9.2, deflated Sharpe 0.91 (just under its 0.95
threshold on this short record; it passes on the 12-year panels of bench/forecast_training.py);
volatile 0.067 (66 %), 0.066 of 0.096 within the volatile year (69 %), every gate passes;
noise +0.005 (t 0.7), the IC-t and deflated-Sharpe gates fail. With the ``basic`` features
the same panels gave 71 %, 63 % and 59 %. The stated shares leave room for changes of the
defaults.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from risk_models.gates import GateConfig, GateReport, evaluate_gates
from tests.support.synthetic_panels import (
    SyntheticPanel,
    calm_panel,
    noise_panel,
    per_date_rank_ic,
    volatile_panel,
)

SHARE_CALM = 0.45
SHARE_VOLATILE = 0.45
SHARE_WITHIN_VOLATILE_YEAR = 0.25


def _forecast(truth: SyntheticPanel) -> tuple[pd.DataFrame, pd.Series]:
    bars = BarPanel.from_frames(truth.frames)
    forecasts = WalkForwardTrainer(WalkForwardConfig(retrain_frequency="quarterly")).run(bars)
    scored = forecasts.loc[forecasts["bar_time"] >= bars.times[252]].dropna(
        subset=["prediction", "forward_return"]
    )
    return scored, per_date_rank_ic(scored)


def _gates(scored: pd.DataFrame) -> GateReport:
    # one-day horizon on daily bars: the forward return is the next bar's return
    record = scored.assign(next_return=scored["forward_return"])
    return evaluate_gates(record, GateConfig(), horizon_bars=1)


def _skill_and_calibration_pass(report: GateReport) -> None:
    for name in ("evidence", "ic_t", "ece"):
        gate = report.result(name)
        assert gate is not None
        assert gate.passed, gate.detail


def test_the_defaults_recover_the_signal_of_a_calm_panel() -> None:
    truth = calm_panel(assets=30, years=4.0, seed=3)
    scored, by_date = _forecast(truth)
    attainable = truth.attainable_rank_ic_by_date().reindex(by_date.index)
    assert len(by_date) > 700
    assert by_date.mean() >= SHARE_CALM * attainable.mean()
    _skill_and_calibration_pass(_gates(scored))


def test_the_defaults_keep_the_signal_through_a_volatile_year() -> None:
    truth = volatile_panel(assets=30, years=4.0, seed=3, volatile_year=2)
    assert truth.volatile_period is not None
    scored, by_date = _forecast(truth)
    attainable = truth.attainable_rank_ic_by_date().reindex(by_date.index)
    assert by_date.mean() >= SHARE_VOLATILE * attainable.mean()
    first, last = truth.volatile_period
    inside = (by_date.index >= first) & (by_date.index <= last)
    assert inside.sum() > 200
    # within the volatile year the ranking keeps its sign and a share of the signal
    assert by_date[inside].mean() >= SHARE_WITHIN_VOLATILE_YEAR * attainable[inside].mean()
    _skill_and_calibration_pass(_gates(scored))


def test_the_defaults_find_nothing_in_noise_and_the_gates_fail() -> None:
    truth = noise_panel(assets=30, years=4.0, seed=4)
    scored, by_date = _forecast(truth)
    standard_error = by_date.std() / math.sqrt(len(by_date))
    assert abs(by_date.mean()) < 3 * standard_error
    report = _gates(scored)
    assert not report.passed
    failed = {result.name for result in report.results if not result.passed}
    assert "ic_t" in failed


@pytest.mark.parametrize("seed", [11])
def test_a_second_noise_panel_fails_the_gates_too(seed: int) -> None:
    scored, _ = _forecast(noise_panel(assets=30, years=4.0, seed=seed))
    assert not _gates(scored).passed
