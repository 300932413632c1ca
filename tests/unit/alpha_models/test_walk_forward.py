"""Walk-forward trainer: determinism, purge and embargo, registry, configuration."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.calibration import CalibrationConfig
from alpha_models.registry import ModelRegistry
from alpha_models.walk_forward import (
    FORECAST_COLUMNS,
    WalkForwardConfig,
    WalkForwardTrainer,
    latest_forecasts,
)
from signal_bus.horizon import Horizon
from tests.unit.alpha_models.synthetic import random_walk_bars


@pytest.fixture(scope="module")
def panel() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(days=500, momentum=0.3, seed=11))


def _config(**changes: object) -> WalkForwardConfig:
    settings: dict[str, object] = {
        "model": "sklearn",
        "feature_set": "basic",  # the planted momentum is in return_1, which basic centres on
        "minimum_training_rows": 200,
        "calibration": CalibrationConfig(minimum_rows=60, rows_per_bin=20),
    }
    settings.update(changes)
    return WalkForwardConfig(**settings)  # type: ignore[arg-type]


def test_forecasts_are_out_of_sample_and_name_their_version(
    panel: BarPanel, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    forecasts = WalkForwardTrainer(_config(), registry=registry).run(panel)
    assert tuple(forecasts.columns) == FORECAST_COLUMNS
    assert forecasts["confidence"].between(0, 1).all()
    versions = {v.version: v for v in registry.versions()}
    assert set(forecasts["model_version"]) == set(versions)
    embargo = pd.Timedelta(days=1)
    for version, group in forecasts.groupby("model_version"):
        metadata = versions[str(version)]
        valid_from = pd.Timestamp(metadata.valid_from)
        assert pd.Timestamp(metadata.last_label_end) <= valid_from - embargo
        assert (group["time"] >= valid_from).all()
        assert metadata.features[0] == "return_1"
        assert len(metadata.data_hash) == 16
        assert metadata.training_rows >= 200
    # monthly schedule: one version per calendar month with forecasts
    months = forecasts["time"].dt.to_period("M").nunique()
    assert len(versions) == months
    # the planted momentum is found out of sample
    scored = forecasts.dropna(subset=["forward_return"])
    assert np.corrcoef(scored["prediction"], scored["forward_return"])[0, 1] > 0.1


def test_same_inputs_and_seed_give_bit_identical_forecasts(panel: BarPanel) -> None:
    config = _config(model="lightgbm", seed=4)
    first = WalkForwardTrainer(config).run(panel)
    second = WalkForwardTrainer(config).run(panel)
    pd.testing.assert_frame_equal(first, second, check_exact=True)


def test_registry_reuses_saved_versions(panel: BarPanel, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    config = _config(model="lightgbm", retrain_frequency="quarterly")
    first = WalkForwardTrainer(config, registry=registry).run(panel)
    saved = sorted(p.name for p in tmp_path.iterdir())
    second = WalkForwardTrainer(config, registry=registry).run(panel)
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == saved
    model, metadata = registry.load(saved[0])
    assert metadata.version == saved[0]
    assert (tmp_path / saved[0] / "model" / "model.txt").is_file()


def test_training_window_and_embargo_limit_the_training_rows(
    panel: BarPanel, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    config = _config(training_window=dt.timedelta(days=200), embargo=dt.timedelta(days=10))
    WalkForwardTrainer(config, registry=registry).run(panel)
    for metadata in registry.versions():
        valid_from = pd.Timestamp(metadata.valid_from)
        assert pd.Timestamp(metadata.training_start) >= valid_from - pd.Timedelta(days=200)
        assert pd.Timestamp(metadata.last_label_end) <= valid_from - pd.Timedelta(days=10)


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="shorter than the horizon"):
        WalkForwardConfig(embargo=dt.timedelta(hours=2))
    with pytest.raises(ValueError, match="unknown model"):
        WalkForwardConfig(model="arima")
    with pytest.raises(ValueError, match="retrain frequency"):
        WalkForwardConfig(retrain_frequency="hourly")
    with pytest.raises(ValueError, match="shorter than one daily bar"):
        WalkForwardConfig(horizon=Horizon("4h"))
    assert WalkForwardConfig(horizon=Horizon("4h"), resolution="hour").horizon_bars == 4


def test_too_little_history_gives_no_forecasts(panel: BarPanel) -> None:
    short = panel.until(panel.times[80])
    forecasts = WalkForwardTrainer(_config()).run(short)
    assert forecasts.empty
    assert tuple(forecasts.columns) == FORECAST_COLUMNS


def test_running_again_on_a_longer_history_trains_only_new_periods(panel: BarPanel) -> None:
    trainer = WalkForwardTrainer(_config(model="lightgbm", retrain_frequency="quarterly"))
    short = trainer.run(panel.until(panel.times[400]))
    trained_before = len(trainer._trained)
    full = trainer.run(panel)
    new_versions = set(full["model_version"]) - set(short["model_version"])
    assert len(trainer._trained) - trained_before == len(new_versions) >= 1
    overlap = full["bar_time"] <= panel.times[400]
    pd.testing.assert_frame_equal(
        full.loc[overlap, ["symbol", "prediction", "confidence"]].reset_index(drop=True),
        short[["symbol", "prediction", "confidence"]].reset_index(drop=True),
    )
    latest = latest_forecasts(full)
    assert list(latest["symbol"]) == sorted(panel.assets)
    assert (latest["bar_time"] == panel.times[-1]).all()


def test_each_calibrator_uses_only_outcomes_known_when_its_period_starts(
    panel: BarPanel, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    config = _config()
    forecasts = WalkForwardTrainer(config, registry=registry).run(panel)
    informed = 0
    for metadata in registry.versions():
        start = pd.Timestamp(metadata.valid_from)
        known = forecasts[(forecasts["time"] < start) & (forecasts["label_end"] <= start)]
        assert metadata.out_of_sample["rows"] == len(known)
        if len(known) >= config.calibration.minimum_rows:
            assert metadata.calibration["rows"] == len(known)
            informed += 1
        else:
            assert metadata.calibration["rows"] == 0
            assert (
                forecasts.loc[forecasts["model_version"] == metadata.version, "confidence"] == 0.5
            ).all()
    assert informed >= 5


def test_progress_is_reported_per_period(panel: BarPanel) -> None:
    calls: list[tuple[int, int]] = []
    WalkForwardTrainer(_config(retrain_frequency="quarterly")).run(
        panel, on_period=lambda done, total: calls.append((done, total))
    )
    total = calls[-1][1]
    assert calls[-1] == (total, total)
    assert [done for done, _ in calls] == list(range(1, total + 1))
