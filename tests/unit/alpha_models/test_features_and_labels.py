"""Feature values, availability times and labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.features import (
    FeatureConfig,
    FeatureDefinition,
    compute_features,
    default_features,
)
from alpha_models.labels import NOT_A_TIME, forward_returns
from tests.unit.alpha_models.synthetic import random_walk_bars


@pytest.fixture
def panel() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(days=120))


def test_features_have_time_asset_feature_shape_and_availability(panel: BarPanel) -> None:
    matrix = compute_features(panel)
    assert matrix.values.shape == (120, 3, len(default_features()))
    assert matrix.names[0] == "return_1"
    np.testing.assert_array_equal(matrix.available_at, panel.end_times_ns())
    complete = matrix.complete_rows()
    assert not complete[:60].any()
    assert complete[61:].all()


def test_feature_values_match_their_definitions(panel: BarPanel) -> None:
    matrix = compute_features(panel)
    close = panel.close.to_numpy()
    names = list(matrix.names)
    expected_return = np.log(close[10] / close[9])
    np.testing.assert_allclose(matrix.values[10, :, names.index("return_1")], expected_return)
    np.testing.assert_allclose(
        matrix.values[12, :, names.index("return_1_lag_2")], np.log(close[10] / close[9])
    )
    np.testing.assert_allclose(
        matrix.values[70, :, names.index("momentum_60")], np.log(close[70] / close[10])
    )
    rsi = matrix.values[:, :, names.index("rsi_14")]
    assert np.nanmin(rsi) >= -0.5
    assert np.nanmax(rsi) <= 0.5
    volatility = matrix.values[40, 0, names.index("realized_volatility_20")]
    log_returns = np.diff(np.log(close[20:41, 0]))
    assert volatility == pytest.approx(np.std(log_returns, ddof=1))


def test_duplicate_or_misshaped_features_are_rejected(panel: BarPanel) -> None:
    twice = FeatureDefinition("x", lambda p: p.close)
    with pytest.raises(ValueError, match="duplicate"):
        compute_features(panel, [twice, twice])
    with pytest.raises(ValueError, match="shape"):
        compute_features(panel, [FeatureDefinition("y", lambda p: p.close.iloc[1:])])
    with pytest.raises(ValueError, match="short_window < medium_window"):
        FeatureConfig(short_window=30)


def test_labels_are_forward_returns_ending_at_the_later_bar(panel: BarPanel) -> None:
    labels = forward_returns(panel, 3)
    close = panel.close.to_numpy()
    np.testing.assert_allclose(labels.forward_return[5], close[8] / close[5] - 1)
    assert labels.label_end[5, 0] == pd.Timestamp(panel.end_time.iloc[8, 0]).value
    assert np.isnan(labels.forward_return[-3:]).all()
    assert (labels.label_end[-3:] == NOT_A_TIME).all()
    assert (labels.label_end[:-3] > panel.end_times_ns()[:-3]).all()
    with pytest.raises(ValueError, match="at least 1"):
        forward_returns(panel, 0)
