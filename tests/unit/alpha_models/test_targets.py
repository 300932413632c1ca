"""Training targets: each transform as specified, no look-ahead, forecasts in return units.

The recovery tests run the real LightGBM walk-forward on the synthetic panels of
``tests/support/synthetic_panels.py``, whose planted signal (and so the attainable
per-date rank IC) is known.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.calibration import CalibrationConfig
from alpha_models.forecasting import forecast_rows
from alpha_models.labels import NOT_A_TIME, forward_returns
from alpha_models.leakage import assert_truncation_invariant
from alpha_models.live import LiveForecaster
from alpha_models.targets import (
    NO_GROUP,
    SCALE_DATES,
    TARGETS,
    TargetSpec,
    cross_section_groups,
    cross_sectional_rank,
    cross_sectional_scale,
    cross_sectional_zscore,
    ex_ante_volatility,
    to_return_units,
    training_targets,
)
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer, latest_forecasts
from tests.support.synthetic_panels import (
    SyntheticPanel,
    calm_panel,
    noise_panel,
    per_date_rank_ic,
    pooled_ic,
)
from tests.unit.alpha_models.synthetic import random_walk_bars


def _bars(closes: dict[str, list[float]], start: str = "2020-01-06") -> dict[str, pd.DataFrame]:
    frames = {}
    for symbol, values in closes.items():
        times = pd.bdate_range(start, periods=len(values), name="time")
        close = np.asarray(values, dtype=float)
        frames[symbol] = pd.DataFrame(
            {
                "open": close,
                "high": close * 1.01,
                "low": close * 0.99,
                "close": close,
                "volume": 1000.0,
                "end_time": times + pd.Timedelta(hours=16),
            },
            index=times,
        )
    return frames


# ------------------------------------------------------------------ the transforms


def test_cross_sectional_zscore_and_rank_per_date_on_a_hand_made_panel() -> None:
    # three assets, four bars: next-bar returns per date are chosen by hand
    panel = BarPanel.from_frames(
        _bars(
            {
                "AAA": [100.0, 101.0, 101.0, 102.01],  # +1 %, 0 %, +1 %
                "BBB": [100.0, 102.0, 102.0, 102.0],  # +2 %, 0 %, 0 %
                "CCC": [100.0, 103.0, 103.0, 100.94],  # +3 %, 0 %, -2 %
            }
        )
    )
    labels = forward_returns(panel, 1)
    time_index, asset_index = np.nonzero(labels.label_end != NOT_A_TIME)
    returns = labels.forward_return[time_index, asset_index]
    groups = cross_section_groups(
        time_index, labels.label_end[time_index, asset_index], ~np.isnan(returns)
    )
    assert groups.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]

    z = cross_sectional_zscore(returns, groups)
    np.testing.assert_allclose(z[:3], [-math.sqrt(1.5), 0.0, math.sqrt(1.5)], atol=1e-9)
    assert np.isnan(z[3:6]).all()  # every asset flat: no dispersion, no target
    # +1 %, 0 %, -2 %: mean -1/3 %, population sd sqrt(14/9) %
    sd = math.sqrt(14.0 / 9.0)
    np.testing.assert_allclose(
        z[6:], [(1 + 1 / 3) / sd, (1 / 3) / sd, (-2 + 1 / 3) / sd], rtol=1e-6
    )

    rank = cross_sectional_rank(returns, groups)
    unit = math.sqrt((9 - 1) / 12)  # sd of the ranks 0, 1, 2
    np.testing.assert_allclose(rank[:3], [-1 / unit, 0.0, 1 / unit], atol=1e-12)
    np.testing.assert_allclose(rank[3:6], [0.0, 0.0, 0.0], atol=1e-12)  # a three-way tie
    np.testing.assert_allclose(rank[6:], [1 / unit, 0.0, -1 / unit], atol=1e-12)

    np.testing.assert_array_equal(
        training_targets(TargetSpec("raw"), returns, groups=groups, volatility=None), returns
    )
    np.testing.assert_array_equal(
        training_targets(TargetSpec("cs_rank"), returns, groups=groups, volatility=None), rank
    )


def test_cross_sectional_targets_need_two_assets_with_a_label_that_date() -> None:
    values = np.array([0.01, 0.02, -0.01, 0.03, 0.02, 0.02])
    # date 0 has one asset; date 1 has two; date 2's rows end at two different times
    time_index = np.array([0, 1, 1, 2, 2, 2])
    label_end = np.array([5, 6, 6, 7, 7, 8])
    groups = cross_section_groups(time_index, label_end, np.ones(6, dtype=bool))
    assert groups.tolist() == [0, 1, 1, 2, 2, 3]
    z = cross_sectional_zscore(values, groups)
    rank = cross_sectional_rank(values, groups)
    for transformed in (z, rank):
        assert np.isnan(transformed[[0, 5]]).all()
        np.testing.assert_allclose(transformed[[1, 2]], [1.0, -1.0])
        np.testing.assert_allclose(transformed[[3, 4]], [1.0, -1.0])
    # a larger minimum cross-section leaves the two-asset dates out as well
    assert np.isnan(cross_sectional_zscore(values, groups, minimum=3)).all()
    assert np.isnan(cross_sectional_rank(values, groups, minimum=3)).all()
    three = np.array([0, 0, 0])
    assert np.isfinite(cross_sectional_rank(np.array([1.0, 2.0, 3.0]), three, minimum=3)).all()
    # ties within a group share their average rank
    tied = cross_sectional_rank(np.array([0.0, 0.0, 1.0]), np.array([0, 0, 0]))
    np.testing.assert_allclose(tied, [-0.5 / math.sqrt(8 / 12)] * 2 + [1 / math.sqrt(8 / 12)])
    # labels of one bar that end at different times form separate groups, in any row order
    assert cross_section_groups(
        np.array([0, 0, 0, 1]), np.array([9, 8, 9, 10]), np.ones(4, dtype=bool)
    ).tolist() == [1, 0, 1, 2]
    # rows without a label never get a group
    assert (
        cross_section_groups(time_index, label_end, np.zeros(6, dtype=bool)).tolist()
        == [NO_GROUP] * 6
    )


def test_a_cross_sectional_target_falls_back_to_raw_returns_for_a_single_asset() -> None:
    panel = BarPanel.from_frames(random_walk_bars(("ONLY",), days=400, momentum=0.2))
    raw = WalkForwardTrainer(_config("raw")).run(panel)
    assert len(raw) > 100
    for target in ("cs_zscore", "cs_rank"):
        trainer = WalkForwardTrainer(_config(target))
        forecasts = trainer.run(panel)
        # the same versions, forecasts and confidences as the raw target's
        pd.testing.assert_frame_equal(forecasts, raw)
        for version in set(forecasts["model_version"]):
            found = trainer.trained_version(version)
            assert found is not None
            assert found[1].params["target"] == {"name": "raw"}
    with pytest.raises(ValueError, match="unknown target 'zscore'"):
        WalkForwardConfig(target="zscore")
    with pytest.raises(ValueError, match="minimum_cross_section"):
        WalkForwardConfig(minimum_cross_section=1)


def test_the_default_ranks_broad_universes_and_leaves_small_ones_on_raw_returns(
    small_panel: BarPanel,
) -> None:
    default = WalkForwardConfig()
    assert (default.target, default.minimum_cross_section) == ("cs_rank", 20)
    # four assets are fewer than 20: the default forecasts exactly as the raw target
    settings = {"minimum_training_rows": 200, "retrain_frequency": "quarterly"}
    ranked = WalkForwardTrainer(WalkForwardConfig(**settings)).run(small_panel)  # type: ignore[arg-type]
    raw = WalkForwardTrainer(WalkForwardConfig(target="raw", **settings)).run(small_panel)  # type: ignore[arg-type]
    assert len(raw) > 500
    pd.testing.assert_frame_equal(ranked, raw)


def test_periods_before_the_cross_section_is_deep_enough_learn_raw_returns() -> None:
    frames = random_walk_bars(("AAA", "BBB", "CCC"), days=420, momentum=0.2)
    late_start = frames["AAA"].index[150]
    for symbol in ("BBB", "CCC"):
        frames[symbol] = frames[symbol].loc[late_start:]
    trainer = WalkForwardTrainer(_config("cs_rank"))
    forecasts = trainer.run(BarPanel.from_frames(frames))
    targets = []
    for version in forecasts.drop_duplicates("model_version")["model_version"]:
        found = trainer.trained_version(version)
        assert found is not None
        targets.append(found[1].params["target"]["name"])
    first_cross_sectional = targets.index("cs_rank")
    assert first_cross_sectional > 0
    assert set(targets[:first_cross_sectional]) == {"raw"}
    assert set(targets[first_cross_sectional:]) == {"cs_rank"}


def test_ex_ante_volatility_is_the_weighted_root_mean_square_of_past_returns() -> None:
    close = np.array([[100.0], [110.0], [99.0], [99.0], [108.9]])  # +10 %, -10 %, 0, +10 %
    spec = TargetSpec(
        "vol_scaled",
        horizon_bars=4,
        volatility_window=3,
        volatility_halflife=1.0,
        volatility_min_returns=2,
    )
    volatility = ex_ante_volatility(close, spec)[:, 0]
    assert np.isnan(volatility[:2]).all()  # fewer than two returns known
    # bar 2: returns +10 % (age 1, weight 1/2) and -10 % (age 0, weight 1)
    np.testing.assert_allclose(volatility[2], math.sqrt(0.01 * 4), rtol=1e-12)
    # bar 4: 0 (age 1) and +10 % (age 0) and -10 % (age 2, weight 1/4)
    expected = math.sqrt((0.01 * 1 + 0 * 0.5 + 0.01 * 0.25) / 1.75 * 4)
    np.testing.assert_allclose(volatility[4], expected, rtol=1e-12)

    returns = np.array([0.02, -0.04, 0.01, np.nan, 0.03])
    scaled = training_targets(
        spec, returns, groups=np.zeros(5, dtype=np.int64), volatility=volatility
    )
    np.testing.assert_allclose(scaled[2:], returns[2:] / volatility[2:])
    assert np.isnan(scaled[:2]).all()
    np.testing.assert_allclose(
        to_return_units(scaled[[2, 4]], spec, volatility[[2, 4]]), returns[[2, 4]]
    )
    with pytest.raises(ValueError, match="volatility"):
        to_return_units(scaled, spec)


def test_ex_ante_volatility_at_a_bar_ignores_every_later_bar() -> None:
    frames = random_walk_bars(("AAA", "BBB", "CCC"), days=300, seed=11)
    close = BarPanel.from_frames(frames).close.to_numpy()
    spec = TargetSpec("vol_scaled", horizon_bars=1)
    full = ex_ante_volatility(close, spec)
    generator = np.random.default_rng(5)
    for cut in (30, 61, 150, 298):
        changed = close.copy()
        changed[cut + 1 :] *= np.exp(generator.normal(0.0, 0.2, size=changed[cut + 1 :].shape))
        changed[cut + 5 : cut + 9, 1] = np.nan  # missing bars later on change nothing either
        np.testing.assert_array_equal(ex_ante_volatility(changed, spec)[: cut + 1], full[: cut + 1])
        np.testing.assert_array_equal(ex_ante_volatility(close[: cut + 1], spec), full[: cut + 1])
        # and a trailing window longer than the volatility window gives the same last value
        window = close[max(0, cut - spec.volatility_window) : cut + 1]
        np.testing.assert_array_equal(ex_ante_volatility(window, spec)[-1], full[cut])
    assert np.isfinite(full[25:]).all()


def test_the_version_scale_is_the_median_dispersion_of_the_latest_training_dates() -> None:
    dates = SCALE_DATES + 10
    time_index = np.repeat(np.arange(dates), 3)
    label_end = time_index + 1
    dispersion = np.arange(1, dates + 1) / 1000.0  # date d: returns -s, 0, +s
    returns = (np.tile([-1.0, 0.0, 1.0], dates) * np.repeat(dispersion, 3)).astype(float)
    groups = cross_section_groups(time_index, label_end, np.ones(time_index.size, dtype=bool))
    mask = np.ones(time_index.size, dtype=bool)
    population_sd = math.sqrt(2 / 3)
    latest = dispersion[-SCALE_DATES:] * population_sd
    assert cross_sectional_scale(returns, groups, mask) == pytest.approx(float(np.median(latest)))
    # only the rows in the mask count: the first ten dates alone
    early = time_index < 10
    assert cross_sectional_scale(returns, groups, early) == pytest.approx(
        float(np.median(dispersion[:10] * population_sd))
    )
    with pytest.raises(ValueError, match="no date with two"):
        cross_sectional_scale(returns, groups, time_index < 0)


# ------------------------------------------------------------------ the walk-forward


def _config(target: str, **overrides: object) -> WalkForwardConfig:
    settings: dict[str, object] = {
        "model": "lightgbm",
        "target": target,
        "minimum_training_rows": 200,
        "minimum_cross_section": 2,
        "calibration": CalibrationConfig(minimum_rows=60, rows_per_bin=20),
    }
    settings.update(overrides)
    return WalkForwardConfig(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def small_panel() -> BarPanel:
    return BarPanel.from_frames(
        random_walk_bars(("AAA", "BBB", "CCC", "DDD"), days=330, momentum=0.2)
    )


def test_each_target_records_itself_and_changes_the_version_id(small_panel: BarPanel) -> None:
    versions: dict[str, set[str]] = {}
    for target in TARGETS:
        trainer = WalkForwardTrainer(_config(target, retrain_frequency="quarterly"))
        forecasts = trainer.run(small_panel)
        versions[target] = set(forecasts["model_version"])
        found = trainer.trained_version(sorted(versions[target])[-1])
        assert found is not None
        recorded = TargetSpec.of_version(found[1].params)
        assert recorded.name == target
        if recorded.cross_sectional:
            assert 0.001 < recorded.scale < 0.05  # daily dispersion of 1 % random walks
        else:
            assert recorded.scale == 1.0
    for first in TARGETS:
        for second in TARGETS:
            if first < second:
                assert not versions[first] & versions[second]


@pytest.mark.parametrize("target", ["vol_scaled", "cs_zscore", "cs_rank"])
def test_forecasts_with_each_target_do_not_change_when_data_continues(
    small_panel: BarPanel, target: str
) -> None:
    trainer = WalkForwardTrainer(_config(target))
    assert assert_truncation_invariant(trainer.run, small_panel, small_panel.times[280]) > 500


@pytest.mark.parametrize("target", ["vol_scaled", "cs_zscore"])
def test_live_forecasts_with_a_target_match_the_walk_forward(
    small_panel: BarPanel, target: str
) -> None:
    live = LiveForecaster(_config(target))
    for day in small_panel.times[-3:]:
        history = small_panel.until(day)
        forecasts = live.forecast_latest(history)
        expected = latest_forecasts(WalkForwardTrainer(_config(target)).run(history))
        assert list(forecasts["model_version"]) == list(expected["model_version"])
        np.testing.assert_allclose(forecasts["prediction"], expected["prediction"], rtol=1e-9)
        np.testing.assert_allclose(forecasts["confidence"], expected["confidence"], rtol=1e-9)
    with pytest.raises(ValueError, match="volatility window 60"):
        LiveForecaster(_config("vol_scaled"), window_bars=60)


def test_a_vol_scaled_version_needs_the_volatility_to_forecast(small_panel: BarPanel) -> None:
    trainer = WalkForwardTrainer(_config("vol_scaled", retrain_frequency="quarterly"))
    forecasts = trainer.run(small_panel)
    found = trainer.trained_version(str(forecasts["model_version"].iloc[-1]))
    assert found is not None
    model, metadata = found
    matrix, rows = trainer.prepare(small_panel)
    with pytest.raises(ValueError, match="ex-ante volatility"):
        forecast_rows(model, metadata, rows.features[-4:])
    assert rows.volatility is not None
    batch = forecast_rows(model, metadata, rows.features[-4:], volatility=rows.volatility[-4:])
    # the published prediction is the model's output times the volatility at the bar
    np.testing.assert_allclose(
        batch.prediction, model.predict(rows.features[-4:]) * rows.volatility[-4:]
    )


# ------------------------------------------------------------------ recovering a planted signal

SHARE_OF_ATTAINABLE = 0.30
"""Every target recovers at least this share of the attainable per-date rank IC.

Measured on this panel (30 assets, 4 years, seed 3, quarterly): 0.59 to 0.63 of the
attainable 0.102; the margin leaves room for changes of the default features.
"""


def _scored(forecasts: pd.DataFrame, bars: BarPanel) -> pd.DataFrame:
    first_scored = bars.times[252]  # the first year is a warm-up
    return forecasts.loc[forecasts["bar_time"] >= first_scored].dropna(
        subset=["prediction", "forward_return"]
    )


@pytest.fixture(scope="module")
def calm() -> tuple[SyntheticPanel, BarPanel]:
    truth = calm_panel(assets=30, years=4.0, seed=3)
    return truth, BarPanel.from_frames(truth.frames)


@pytest.fixture(scope="module")
def noise() -> tuple[SyntheticPanel, BarPanel]:
    truth = noise_panel(assets=30, years=4.0, seed=4)
    return truth, BarPanel.from_frames(truth.frames)


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_recovers_the_planted_signal_in_return_units(
    calm: tuple[SyntheticPanel, BarPanel], target: str
) -> None:
    truth, bars = calm
    config = WalkForwardConfig(model="lightgbm", retrain_frequency="quarterly", target=target)
    trainer = WalkForwardTrainer(config)
    forecasts = trainer.run(bars)
    found = trainer.trained_version(str(forecasts["model_version"].iloc[-1]))
    assert found is not None
    assert found[1].params["target"]["name"] == target  # 30 assets: no fallback to raw
    scored = _scored(forecasts, bars)
    by_date = per_date_rank_ic(scored)
    attainable = truth.attainable_rank_ic_by_date().reindex(by_date.index)
    assert len(by_date) > 700
    assert attainable.mean() > 0.09
    assert by_date.mean() >= SHARE_OF_ATTAINABLE * attainable.mean()
    assert pooled_ic(scored) > 0.015

    # published predictions are expected returns: a regression of the outcome on them
    # has a slope of order one (it would be ~0.02 if they were in volatility units)
    prediction = scored["prediction"].to_numpy()
    outcome = scored["forward_return"].to_numpy()
    slope = np.cov(prediction, outcome)[0, 1] / np.var(prediction)
    assert 0.1 < slope < 3.0
    assert 0.005 < np.std(prediction) / np.std(outcome) < 0.5
    # the interval, fitted on earlier out-of-sample residuals in return units, covers ~80 %
    inside = (scored["interval_low"] <= scored["forward_return"]) & (
        scored["forward_return"] <= scored["interval_high"]
    )
    assert 0.72 < inside.mean() < 0.88
    # the confidence stays honest: the share of right signs matches it
    hits = (prediction * outcome > 0).astype(float)
    confidence = scored["confidence"].to_numpy()
    assert abs(hits.mean() - confidence.mean()) < 0.03


@pytest.mark.parametrize("target", TARGETS)
def test_each_target_finds_nothing_in_pure_noise(
    noise: tuple[SyntheticPanel, BarPanel], target: str
) -> None:
    _, bars = noise
    config = WalkForwardConfig(model="lightgbm", retrain_frequency="quarterly", target=target)
    scored = _scored(WalkForwardTrainer(config).run(bars), bars)
    by_date = per_date_rank_ic(scored)
    standard_error = by_date.std() / math.sqrt(len(by_date))
    assert len(by_date) > 700
    assert abs(by_date.mean()) < 3 * standard_error
    # rows of a date share the market's move, so the dates are the effective sample
    assert abs(pooled_ic(scored)) < 1 / math.sqrt(len(by_date))
