"""Live forecasting: cheap within a period, the same forecasts as the walk-forward."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.calibration import CalibrationConfig
from alpha_models.live import LiveForecaster
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer, latest_forecasts
from tests.unit.alpha_models.synthetic import random_walk_bars


@pytest.fixture(scope="module")
def panel() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(days=460, momentum=0.3, seed=21))


def _config() -> WalkForwardConfig:
    return WalkForwardConfig(
        model="lightgbm",
        minimum_training_rows=200,
        calibration=CalibrationConfig(minimum_rows=60, rows_per_bin=20),
    )


def test_live_forecasts_match_the_walk_forward_and_retrain_only_when_due(panel: BarPanel) -> None:
    live = LiveForecaster(_config())
    times = panel.times
    # the bars of one calendar month, then the first bar of the next
    month = times[(times >= "2016-03-01") & (times < "2016-04-01")]
    next_month = times[times >= "2016-04-01"][0]
    for position, day in enumerate([*month, next_month]):
        history = panel.until(day)
        forecasts = live.forecast_latest(history)
        expected = latest_forecasts(WalkForwardTrainer(_config()).run(history))
        assert list(forecasts["symbol"]) == list(expected["symbol"])
        assert (forecasts["bar_time"] == day).all()
        assert list(forecasts["model_version"]) == list(expected["model_version"])
        np.testing.assert_allclose(
            forecasts["prediction"], expected["prediction"], rtol=1e-9, atol=1e-15
        )
        np.testing.assert_allclose(
            forecasts["confidence"], expected["confidence"], rtol=1e-9, atol=1e-12
        )
        if position < len(month):
            assert live.full_runs == 1  # one walk-forward for the whole month
    assert live.full_runs == 2  # a new period: retrained once
    version = live.current_version
    assert version is not None
    assert pd.Timestamp(version.valid_from) == pd.Timestamp("2016-04-01")


def test_too_little_history_gives_no_live_forecast(panel: BarPanel) -> None:
    live = LiveForecaster(_config())
    assert live.forecast_latest(panel.until(panel.times[50])).empty
    assert live.current_version is None
    with pytest.raises(ValueError, match="window_bars"):
        LiveForecaster(_config(), window_bars=1)
