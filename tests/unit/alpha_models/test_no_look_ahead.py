"""No look-ahead: features, the trainer's refusal, and truncation invariance."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpha_models.bars import BarPanel
from alpha_models.calibration import CalibrationConfig, ConfidenceCalibrator
from alpha_models.errors import LookAheadError
from alpha_models.features import (
    FeatureDefinition,
    compute_features,
    default_features,
    feature_set,
)
from alpha_models.leakage import (
    altered_after,
    assert_no_feature_leaks,
    assert_truncation_invariant,
    find_feature_leaks,
    find_future_dependence,
)
from alpha_models.walk_forward import (
    WalkForwardConfig,
    WalkForwardTrainer,
    ensure_labels_end_before,
)
from signal_bus.horizon import Horizon
from tests.unit.alpha_models.synthetic import hourly_bars, random_walk_bars

CANARY = FeatureDefinition("canary_next_return", lambda p: p.close.shift(-1) / p.close - 1.0)


@pytest.fixture(scope="module")
def panel() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(days=400, momentum=0.2))


def _cuts(panel: BarPanel) -> list[pd.Timestamp]:
    return [panel.times[position] for position in (70, 150, 260, 399)]


def test_default_features_pass_the_leakage_check(panel: BarPanel) -> None:
    assert find_feature_leaks(panel, default_features(), _cuts(panel)) == []
    assert_no_feature_leaks(panel, default_features(), _cuts(panel))


def test_canary_feature_that_peeks_one_bar_ahead_is_caught(panel: BarPanel) -> None:
    findings = find_feature_leaks(panel, [*default_features(), CANARY], _cuts(panel))
    assert {finding.feature for finding in findings} == {"canary_next_return"}
    # the last bar has no next bar either way, so only the earlier cuts leak
    assert len(findings) == 3
    with pytest.raises(LookAheadError, match="canary_next_return"):
        assert_no_feature_leaks(panel, [CANARY], _cuts(panel))


def _config() -> WalkForwardConfig:
    return WalkForwardConfig(
        model="lightgbm",
        minimum_training_rows=200,
        calibration=CalibrationConfig(minimum_rows=60, rows_per_bin=20),
    )


def test_walk_forward_forecasts_do_not_change_when_data_continues(panel: BarPanel) -> None:
    trainer = WalkForwardTrainer(_config())
    cut = panel.times[330]
    compared = assert_truncation_invariant(trainer.run, panel, cut)
    assert compared > 300
    # the comparison includes calibrated confidences, not only the uninformed 0.5
    forecasts = trainer.run(panel.until(cut))
    assert forecasts["confidence"].nunique() > 5


def test_truncation_check_catches_a_trainer_fed_with_the_canary(panel: BarPanel) -> None:
    leaky = WalkForwardTrainer(_config(), features=[*default_features(), CANARY])
    with pytest.raises(LookAheadError, match="change when later data is present"):
        assert_truncation_invariant(leaky.run, panel, panel.times[330])


def test_trainer_refuses_rows_whose_label_window_overlaps_the_forecast_time(
    panel: BarPanel,
) -> None:
    trainer = WalkForwardTrainer(_config())
    matrix, rows = trainer.prepare(panel)
    forecast_time = pd.Timestamp(int(rows.available_at[400]))
    overlapping = (rows.label_end > forecast_time.value - 10**9) & (
        rows.label_end != np.iinfo(np.int64).min
    )
    chosen = np.flatnonzero(overlapping)[:1]
    known = rows.label_end != np.iinfo(np.int64).min
    earlier = np.flatnonzero(
        known & (rows.label_end <= (forecast_time - pd.Timedelta(days=2)).value)
    )
    chosen = np.concatenate([earlier, chosen])
    with pytest.raises(LookAheadError, match="end after"):
        trainer.train(
            rows.features[chosen],
            rows.targets[chosen],
            rows.label_end[chosen],
            forecast_time=forecast_time,
            feature_names=matrix.names,
            assets=matrix.assets,
            available_at=rows.available_at[chosen],
            calibrator=ConfidenceCalibrator.uninformed(),
        )
    # the same rows without the overlapping one train fine
    model, metadata = trainer.train(
        rows.features[earlier],
        rows.targets[earlier],
        rows.label_end[earlier],
        forecast_time=forecast_time,
        feature_names=matrix.names,
        assets=matrix.assets,
        available_at=rows.available_at[earlier],
        calibrator=ConfidenceCalibrator.uninformed(),
    )
    assert pd.Timestamp(metadata.last_label_end) <= forecast_time - pd.Timedelta(days=1)
    assert model.predict(rows.features[:2]).shape == (2,)


def test_embargo_guard_counts_the_embargo_and_unknown_labels() -> None:
    now = pd.Timestamp("2020-01-10 16:00")
    inside_embargo = np.array([pd.Timestamp("2020-01-10 09:00").value])
    with pytest.raises(LookAheadError):
        ensure_labels_end_before(inside_embargo, now, dt.timedelta(days=1))
    ensure_labels_end_before(inside_embargo, now, dt.timedelta(hours=1))
    with pytest.raises(LookAheadError, match="no label"):
        ensure_labels_end_before(np.array([np.iinfo(np.int64).min]), now, dt.timedelta(hours=1))


def test_ensemble_forecasts_do_not_change_when_data_continues(panel: BarPanel) -> None:
    config = WalkForwardConfig(
        model="ensemble",
        retrain_frequency="quarterly",
        minimum_training_rows=200,
        calibration=CalibrationConfig(minimum_rows=60, rows_per_bin=20),
    )
    assert (
        assert_truncation_invariant(WalkForwardTrainer(config).run, panel, panel.times[300]) > 200
    )


def test_hourly_four_hour_forecasts_do_not_change_when_data_continues() -> None:
    panel = BarPanel.from_frames(hourly_bars(hours=2200))
    config = WalkForwardConfig(
        horizon=Horizon("4h"),
        resolution="hour",
        model="lightgbm",
        retrain_frequency="weekly",
        minimum_training_rows=500,
        calibration=CalibrationConfig(minimum_rows=100, rows_per_bin=20),
    )
    trainer = WalkForwardTrainer(config)
    cut = panel.times[1900]
    assert assert_truncation_invariant(trainer.run, panel, cut) > 1000
    forecasts = trainer.run(panel)
    # every label spans four hourly bars
    scored = forecasts.dropna(subset=["forward_return"])
    assert ((scored["label_end"] - scored["time"]) == pd.Timedelta(hours=4)).all()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), cut=st.integers(min_value=0, max_value=149))
def test_default_features_never_peek_for_any_data_or_cut(seed: int, cut: int) -> None:
    small = BarPanel.from_frames(random_walk_bars(("X", "Y"), days=150, seed=seed))
    assert find_feature_leaks(small, default_features(), [small.times[cut]]) == []


# ---------------------------------------------------------------- the extended feature set

CROSS_CANARY = FeatureDefinition(
    "canary_rank_of_next_return",
    lambda p: p.close.shift(-1).div(p.close).rank(axis=1),
    cross_sectional=True,
)
"""Ranks each asset's next-bar return among the assets: peeks ahead through the others."""

UNIVERSE_CANARY = FeatureDefinition(
    "canary_universe_next_close",
    lambda p: pd.DataFrame(
        np.repeat(p.close.shift(-1).mean(axis=1).to_numpy()[:, None], p.close.shape[1], axis=1),
        index=p.close.index,
        columns=p.close.columns,
    ),
    cross_sectional=True,
)
"""Gives every asset the universe's mean next close: one asset's future leaks into all."""


def test_every_extended_feature_passes_both_leakage_checks(panel: BarPanel) -> None:
    extended = feature_set("extended", asset_count=len(panel.assets))
    names = [definition.name for definition in extended]
    # the checks cover every feature of the set, the cross-sectional ones included
    assert len(names) == 90
    assert sum(definition.cross_sectional for definition in extended) == 13
    cuts = _cuts(panel)
    # at every cut every feature has a value, so the comparisons are not NaN with NaN
    values = compute_features(panel, extended).values
    assert np.isfinite(values[[70, 150, 260, 399]]).all()
    assert find_feature_leaks(panel, extended, cuts) == []
    assert find_future_dependence(panel, extended, cuts[:3]) == []
    # another asset's later bars change: no value of any asset up to the cut moves
    for asset in panel.assets:
        assert find_future_dependence(panel, extended, cuts[1:3], altered_assets=[asset]) == []


def test_future_dependence_check_sees_changed_bars(panel: BarPanel) -> None:
    """The altered panel really differs after the cut and not before it."""
    cut = panel.times[150]
    changed = altered_after(panel, cut, ["BBB"], seed=3)
    before = panel.close.loc[:cut]
    pd.testing.assert_frame_equal(changed.close.loc[:cut], before)
    later = changed.close.loc[panel.close.index > cut]
    assert later["BBB"].isna().sum() > 0
    present = later["BBB"].notna()
    original = panel.close.loc[later.index, "BBB"]
    assert not np.isclose(later["BBB"][present], original[present]).any()
    pd.testing.assert_series_equal(later["AAA"], panel.close.loc[later.index, "AAA"])
    # a feature that reads the next bar is seen on every row before the cut
    findings = find_future_dependence(panel, [CANARY], [cut], altered_assets=["BBB"])
    assert [(f.feature, f.assets) for f in findings] == [("canary_next_return", ("BBB",))]


def test_cross_sectional_canaries_are_caught(panel: BarPanel) -> None:
    extended = feature_set("extended", asset_count=len(panel.assets))
    cuts = _cuts(panel)
    leaks = find_feature_leaks(panel, [*extended, CROSS_CANARY, UNIVERSE_CANARY], cuts)
    assert {finding.feature for finding in leaks} == {
        "canary_rank_of_next_return",
        "canary_universe_next_close",
    }
    # only BBB's later bars change, yet AAA's and CCC's values before the cut move
    moved = find_future_dependence(
        panel, [*extended, UNIVERSE_CANARY], cuts[1:2], altered_assets=["BBB"]
    )
    assert [finding.feature for finding in moved] == ["canary_universe_next_close"]
    assert set(moved[0].assets) == {"AAA", "BBB", "CCC"}


def test_walk_forward_on_the_extended_set_does_not_change_when_data_continues(
    panel: BarPanel,
) -> None:
    extended = feature_set("extended", asset_count=len(panel.assets))
    trainer = WalkForwardTrainer(_config(), features=extended)
    assert assert_truncation_invariant(trainer.run, panel, panel.times[330]) > 300


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), cut=st.integers(min_value=0, max_value=149))
def test_extended_features_never_peek_for_any_data_or_cut(seed: int, cut: int) -> None:
    small = BarPanel.from_frames(random_walk_bars(("X", "Y"), days=150, seed=seed))
    extended = feature_set("extended", asset_count=2)
    assert find_feature_leaks(small, extended, [small.times[cut]]) == []
    assert find_future_dependence(small, extended, [small.times[cut]], altered_assets=["Y"]) == []
