"""The promotion gates on records whose truth is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from risk_models.gates import (
    GateConfig,
    bootstrap_rank_ic,
    challenger_gate,
    deflated_sharpe_ratio,
    evaluate_gates,
    expected_calibration_error,
    shadow_gate,
    sizing_returns,
)
from tests.unit.risk_models.synthetic_records import record

FAST = GateConfig(bootstrap_samples=300)


def test_a_planted_signal_passes_every_gate() -> None:
    report = evaluate_gates(record(strength=0.3), FAST)
    assert report.passed, report.reasons
    assert [result.name for result in report.results] == [
        "evidence",
        "ic_t",
        "ece",
        "deflated_sharpe",
    ]
    ic_t = report.result("ic_t")
    assert ic_t is not None
    assert ic_t.statistic is not None
    assert ic_t.statistic > 5
    ece = report.result("ece")
    assert ece is not None
    assert ece.statistic is not None
    assert ece.statistic <= 0.05
    assert report.figures["rank_ic"] is not None
    assert report.figures["rank_ic"] > 0.1


def test_pure_noise_fails_skill_and_the_deflated_sharpe() -> None:
    report = evaluate_gates(record(strength=0.0, seed=3), FAST)
    assert not report.passed
    failed = {result.name for result in report.results if not result.passed}
    assert {"ic_t", "deflated_sharpe"} <= failed
    assert any("never traded" in reason for reason in report.reasons)


def test_noise_that_trades_is_refused_by_the_deflated_sharpe() -> None:
    noisy = record(strength=0.0, seed=4)
    noisy["confidence"] = 0.52  # trades every row, with no edge
    report = evaluate_gates(noisy, FAST)
    dsr = report.result("deflated_sharpe")
    assert dsr is not None
    assert not dsr.passed
    assert dsr.statistic is not None
    assert dsr.statistic < 0.95
    assert report.figures["invested"] == 1.0


def test_overconfident_forecasts_fail_calibration() -> None:
    overconfident = record(strength=0.3, seed=5)
    overconfident["confidence"] = 0.9
    report = evaluate_gates(overconfident, FAST)
    ece = report.result("ece")
    assert ece is not None
    assert not ece.passed
    hit_rate = report.figures["hit_rate"]
    assert hit_rate is not None
    assert ece.statistic == pytest.approx(abs(0.9 - hit_rate), abs=1e-9)


def test_too_little_evidence_gives_no_verdict_but_refusal() -> None:
    report = evaluate_gates(record(strength=0.5, dates=30), FAST)
    assert not report.passed
    assert [result.name for result in report.results] == ["evidence"]
    assert report.reasons == ("30 resolved forecast dates; 60 needed",)


def test_rows_without_outcomes_are_not_evidence() -> None:
    frame = record(strength=0.3, dates=100)
    frame.loc[frame["time"] >= frame["time"].iloc[-1 - 6 * 50], "forward_return"] = np.nan
    report = evaluate_gates(frame, FAST)
    assert report.dates == 49


def test_the_block_bootstrap_widens_the_error_of_dependent_dates() -> None:
    persistent = record(strength=0.1, persistence=0.9, dates=600, seed=7)
    args = (
        persistent["time"].to_numpy(),
        persistent["prediction"].to_numpy(),
        persistent["forward_return"].to_numpy(),
    )
    _, iid_error, _ = bootstrap_rank_ic(*args, config=GateConfig(block_length=1))
    _, block_error, _ = bootstrap_rank_ic(*args, config=GateConfig(block_length=20))
    assert block_error > 1.5 * iid_error


def test_the_bootstrap_is_reproducible() -> None:
    frame = record(strength=0.1)
    first = evaluate_gates(frame, FAST).to_dict()
    assert evaluate_gates(frame, FAST).to_dict() == first


def test_expected_calibration_error_weighs_bins_by_count() -> None:
    confidence = np.array([0.55, 0.55, 0.55, 0.55, 0.95])
    hits = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    # bin [0.5, 0.6): 4 rows, gap |0.55 - 0.5|; bin [0.9, 1.0]: 1 row, gap |0.95 - 1|
    assert expected_calibration_error(confidence, hits) == pytest.approx((4 * 0.05 + 1 * 0.05) / 5)
    assert expected_calibration_error(np.array([]), np.array([])) is None


def test_deflated_sharpe_with_one_trial_is_the_probabilistic_sharpe() -> None:
    rng = np.random.default_rng(11)
    returns = 0.001 + 0.01 * rng.normal(size=750)
    sharpe, benchmark, dsr = deflated_sharpe_ratio(returns, trials=1)
    centred = returns - returns.mean()
    sigma = np.sqrt(np.mean(centred**2))
    skew = np.mean(centred**3) / sigma**3
    kurtosis = np.mean(centred**4) / sigma**4
    spread = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    assert benchmark == 0.0
    assert dsr == pytest.approx(norm.cdf(sharpe * math.sqrt(749) / math.sqrt(spread)))


def test_more_trials_deflate_more() -> None:
    rng = np.random.default_rng(12)
    returns = 0.0015 + 0.01 * rng.normal(size=750)
    values = [deflated_sharpe_ratio(returns, trials=n)[2] for n in (1, 10, 100, 1000)]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.95 > values[-1]


def test_sizing_returns_charge_costs_on_position_changes() -> None:
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"]),
            "symbol": ["A", "A", "A"],
            "prediction": [0.01, 0.01, -0.01],
            "confidence": [0.6, 0.6, 0.6],
            "forward_return": [0.02, 0.01, -0.01],
            "next_return": [0.02, 0.01, -0.01],
        }
    )
    returns = sizing_returns(frame, entry_confidence=0.5, cost_bps=10.0)
    # open long (1 unit), hold, flip to short (2 units)
    assert returns.to_list() == pytest.approx([0.02 - 0.001, 0.01, 0.01 - 0.002])


def test_a_challenger_better_only_by_chance_is_not_promoted() -> None:
    champion = record(strength=0.2, seed=21, dates=120)
    # Same skill, its own luck: the same planted signal seen through independent noise.
    challenger = champion.copy()
    rng = np.random.default_rng(22)
    challenger["prediction"] = champion["prediction"] + 0.002 * rng.normal(size=len(champion))
    verdict = challenger_gate(champion, challenger, FAST)
    assert not verdict.passed
    assert verdict.statistic is not None
    assert verdict.statistic < 2.0


def test_a_clearly_better_challenger_is_promoted() -> None:
    champion = record(strength=0.3, seed=23, dates=120)
    challenger = champion.copy()
    rng = np.random.default_rng(24)
    champion["prediction"] = 0.01 * rng.normal(size=len(champion))  # no skill
    verdict = challenger_gate(champion, challenger, FAST)
    assert verdict.passed, verdict.detail


def test_the_challenger_needs_enough_shared_dates() -> None:
    champion = record(strength=0.3, dates=40)
    challenger = record(strength=0.3, dates=40, start="2015-02-13")
    verdict = challenger_gate(champion, challenger, FAST)
    assert not verdict.passed
    assert "shared resolved dates" in verdict.detail


def test_the_shadow_gate_needs_dates_and_no_negative_skill() -> None:
    assert not shadow_gate(record(strength=0.3, dates=10), FAST).passed
    assert shadow_gate(record(strength=0.3, dates=25), FAST).passed
    contrary = record(strength=0.3, dates=25)
    contrary["prediction"] = -contrary["prediction"]
    assert not shadow_gate(contrary, FAST).passed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_ic_t", -1.0, "min_ic_t must be in [0.0, 10.0]"),
        ("max_ece", 0.7, "max_ece must be in [0.0, 0.5]"),
        ("min_deflated_sharpe", 0.2, "min_deflated_sharpe must be in [0.5, 1.0]"),
        ("trials", 0, "trials must be an integer >= 1"),
        ("bootstrap_samples", 10, "bootstrap_samples must be an integer >= 50"),
        ("block_length", 0, "block_length must be >= 1"),
    ],
)
def test_out_of_range_settings_are_refused_with_the_range(
    field: str, value: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        GateConfig(**{field: value})


def test_settings_round_trip() -> None:
    config = GateConfig(min_ic_t=2.5, trials=10)
    assert GateConfig.from_dict(config.to_dict()) == config
