"""Training inside a walk-forward fold: the purged validation slice, early stopping, the
ensemble's out-of-sample weights, per-asset models and hyper-parameters from configuration."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from alpha_models.bars import BarPanel
from alpha_models.live import LiveForecaster
from alpha_models.models import load_model, make_model
from alpha_models.models.base import ValidationSet
from alpha_models.models.ensemble import EnsembleModel
from alpha_models.models.gradient_boosting import LightGBMModel
from alpha_models.models.hyperparameters import validate_hyperparameters
from alpha_models.models.per_asset import PerAssetModel
from alpha_models.validation import purged_validation_split
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer, training_options
from ats.cli.options import training_cli_options
from engines.forecast.engine import config_from_environment
from tests.unit.alpha_models.synthetic import random_walk_bars

NAMES = ("return_1", "return_1_lag_1", "momentum_20", "noise")
DAY = 86_400 * 10**9


def _rows(rows: int, seed: int, strength: float) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    features = generator.normal(size=(rows, len(NAMES)))
    targets = strength * features[:, 2] + generator.normal(size=rows)
    return features, targets


def test_the_validation_slice_is_the_newest_dates_and_fitting_rows_are_purged() -> None:
    days = np.repeat(np.arange(100), 3)  # 100 dates x 3 assets
    available_at = days * DAY
    label_end = available_at + 5 * DAY  # five-day labels
    split = purged_validation_split(
        available_at,
        label_end,
        fraction=0.2,
        embargo=pd.Timedelta(days=5),
        minimum_fit_rows=10,
        minimum_validation_rows=10,
    )
    assert split is not None
    assert split.start == 80 * DAY
    np.testing.assert_array_equal(split.held_out, days >= 80)
    # a fitting row's label ends at least the embargo before the first validation date
    assert (label_end[split.fit] <= split.start - 5 * DAY).all()
    np.testing.assert_array_equal(split.fit, days <= 70)
    assert not (split.fit & split.held_out).any()
    assert split.summary()["validation_rows"] == 60
    # too few rows on either side, or no fraction: no split
    for fraction, minimum in ((0.0, 10), (0.2, 61), (0.001, 10)):
        assert (
            purged_validation_split(
                available_at,
                label_end,
                fraction=fraction,
                embargo=pd.Timedelta(days=5),
                minimum_fit_rows=10,
                minimum_validation_rows=minimum,
            )
            is None
        )


def test_lightgbm_stops_early_on_noise_and_keeps_more_rounds_on_a_signal(tmp_path: Path) -> None:
    kept = {}
    for strength in (0.0, 0.8):
        features, targets = _rows(4000, seed=1, strength=strength)
        model = LightGBMModel(seed=0, rounds=400, early_stopping_rounds=20)
        model.fit(
            features[:3000],
            targets[:3000],
            validation=ValidationSet(features[3000:], targets[3000:]),
        )
        kept[strength] = model.fit_summary["rounds_kept"]
        assert model.fit_summary["validation_rows"] == 1000
        model.save(tmp_path / str(strength))
        loaded = load_model(tmp_path / str(strength))
        np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
        assert loaded.fit_summary == model.fit_summary
    assert kept[0.0] < 60
    assert kept[0.8] > kept[0.0]
    # without a validation set every round is trained
    features, targets = _rows(1000, seed=2, strength=0.5)
    plain = LightGBMModel(seed=0, rounds=40, early_stopping_rounds=20)
    plain.fit(features, targets)
    assert plain.fit_summary == {"rounds_kept": 40, "validation_rows": 0}


def test_ensemble_weights_are_chosen_on_the_validation_rows() -> None:
    features, targets = _rows(3000, seed=3, strength=0.6)
    ensemble = make_model(
        "ensemble", seed=0, feature_names=NAMES, members=("sklearn", "statsmodels")
    )
    assert isinstance(ensemble, EnsembleModel)
    held = ValidationSet(features[2000:], targets[2000:])
    ensemble.fit(features[:2000], targets[:2000], validation=held)
    weights = ensemble.member_weights()
    summary = ensemble.fit_summary
    assert summary["weighting"] == "validation"
    # the ridge sees the signal (momentum_20); the autoregression sees only lagged returns
    assert weights[0] > 0.5
    assert weights[1] < 0.5 * weights[0]
    members = ensemble.predict_members(features[:50])
    np.testing.assert_allclose(ensemble.predict(features[:50]), members @ weights, rtol=1e-12)
    # no validation rows: the members are averaged
    ensemble.fit(features[:2000], targets[:2000])
    np.testing.assert_array_equal(ensemble.member_weights(), [0.5, 0.5])
    assert ensemble.fit_summary["weighting"] == "equal"


def test_per_asset_models_learn_what_the_pooled_model_cannot() -> None:
    generator = np.random.default_rng(5)
    rows = 2400
    features = generator.normal(size=(rows, len(NAMES)))
    assets = np.array(["UP", "DOWN"], dtype=object)[np.arange(rows) % 2]
    sign = np.where(assets == "UP", 1.0, -1.0)
    targets = sign * features[:, 0] + generator.normal(scale=0.5, size=rows)
    pooled = make_model("sklearn", seed=0, feature_names=NAMES)
    own = make_model("sklearn", seed=0, feature_names=NAMES, scope="per_asset")
    for model in (pooled, own):
        model.fit(features[:2000], targets[:2000], assets=assets[:2000])
    test_features, test_targets, test_assets = features[2000:], targets[2000:], assets[2000:]
    own_ic = np.corrcoef(own.predict(test_features, assets=test_assets), test_targets)[0, 1]
    pooled_ic = np.corrcoef(pooled.predict(test_features, assets=test_assets), test_targets)[0, 1]
    assert own_ic > 0.8
    assert abs(pooled_ic) < 0.2
    assert isinstance(own, PerAssetModel)
    assert own.fit_summary["own_models"] == ["DOWN", "UP"]
    # an asset it never saw gets the pooled fallback's forecast
    unseen = np.array(["NEW"] * 5, dtype=object)
    np.testing.assert_array_equal(
        own.predict(test_features[:5], assets=unseen), own.pooled.predict(test_features[:5])
    )
    with pytest.raises(ValueError, match="needs each row's asset"):
        own.predict(test_features)


def test_hyperparameters_are_checked_against_their_ranges() -> None:
    assert validate_hyperparameters('{"lightgbm": {"num_leaves": 7, "learning_rate": 0.1}}') == {
        "lightgbm": {"num_leaves": 7, "learning_rate": 0.1}
    }
    assert validate_hyperparameters("") == {}
    cases = {
        '{"lightgbm": {"num_leaves": 1}}': r"hyperparameters.lightgbm.num_leaves must be an integer in \[2, 4096\]; got 1",
        '{"lightgbm": {"learning_rate": 2}}': r"learning_rate must be a number in \[0.0001, 1\]",
        '{"lightgbm": {"num_leaves": 7.5}}': "num_leaves must be an integer",
        '{"lightgbm": {"depth": 3}}': r"hyperparameters.lightgbm.depth: unknown; allowed \[",
        '{"xgboost": {}}': "unknown model kind",
        '{"sklearn": {"alpha": -1}}': "alpha must be a number",
        '{"sklearn": {"alpha": true}}': "alpha must be a number",
        "[1, 2]": "must be an object of kinds",
        "{not json": "must be a JSON object",
    }
    for text, message in cases.items():
        with pytest.raises(ValueError, match=message):
            validate_hyperparameters(text)
    with pytest.raises(ValueError, match="num_leaves"):
        WalkForwardConfig(hyperparameters={"lightgbm": {"num_leaves": 0}})


def test_configuration_refuses_bad_training_choices() -> None:
    with pytest.raises(ValueError, match=r"validation_fraction must be in \[0, 0.5\]"):
        WalkForwardConfig(validation_fraction=0.6)
    with pytest.raises(ValueError, match="unknown scope"):
        WalkForwardConfig(scope="global")
    with pytest.raises(ValueError, match="set per member"):
        WalkForwardConfig(model="ensemble", scope="per_asset")
    with pytest.raises(ValueError, match="unknown ensemble member 'ensemble'"):
        WalkForwardConfig(model="ensemble", ensemble_members=("ensemble",))
    with pytest.raises(ValueError, match="at least one member"):
        WalkForwardConfig(model="ensemble", ensemble_members=())


def _panel() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(("AAA", "BBB", "CCC"), days=700, seed=8))


def test_each_version_records_its_validation_slice_and_what_was_chosen_on_it() -> None:
    config = WalkForwardConfig(
        model="lightgbm",
        target="raw",
        retrain_frequency="quarterly",
        hyperparameters={"lightgbm": {"num_leaves": 7, "rounds": 120}},
    )
    trainer = WalkForwardTrainer(config)
    forecasts = trainer.run(_panel())
    versions = [trainer.trained_version(str(v)) for v in forecasts["model_version"].unique()]
    assert versions
    assert all(found is not None for found in versions)
    last = versions[-1]
    assert last is not None
    metadata = last[1]
    fit = metadata.params["fit"]
    assert metadata.params["num_leaves"] == 7
    assert fit["validation_rows"] >= config.minimum_validation_rows
    assert 1 <= fit["rounds_kept"] <= 120
    assert fit["fit_rows"] + fit["validation_rows"] <= metadata.training_rows
    # the validation slice lies inside the training rows, after the fitting rows' labels
    assert pd.Timestamp(fit["validation_start"]) <= pd.Timestamp(metadata.training_end)
    # without a validation slice: every row fits, every round is kept, another version
    plain = WalkForwardTrainer(
        WalkForwardConfig(
            model="lightgbm",
            target="raw",
            retrain_frequency="quarterly",
            validation_fraction=0.0,
            hyperparameters={"lightgbm": {"num_leaves": 7, "rounds": 120}},
        )
    )
    plain_forecasts = plain.run(_panel())
    found = plain.trained_version(str(plain_forecasts["model_version"].iloc[-1]))
    assert found is not None
    assert found[1].params["fit"]["validation_rows"] == 0
    assert found[1].params["fit"]["rounds_kept"] == 120
    assert set(plain_forecasts["model_version"]).isdisjoint(forecasts["model_version"])
    # a model with no use for a validation slice (ridge) fits on every training row
    ridge = WalkForwardTrainer(
        WalkForwardConfig(model="sklearn", target="raw", retrain_frequency="quarterly")
    )
    ridge_forecasts = ridge.run(_panel())
    fitted = ridge.trained_version(str(ridge_forecasts["model_version"].iloc[-1]))
    assert fitted is not None
    assert fitted[1].params["fit"] == {"validation_rows": 0, "fit_rows": fitted[1].training_rows}


@pytest.mark.parametrize(
    "settings",
    [
        {"model": "sklearn", "scope": "per_asset"},
        {"model": "ensemble", "ensemble_members": ("sklearn", "lightgbm/per_asset")},
    ],
)
def test_per_asset_and_ensemble_live_forecasts_equal_the_walk_forward(
    settings: dict[str, object], tmp_path: Path
) -> None:
    config = WalkForwardConfig(
        target="raw",
        retrain_frequency="quarterly",
        hyperparameters={"per_asset": {"minimum_rows": 100}, "lightgbm": {"rounds": 60}},
        **settings,  # type: ignore[arg-type]
    )
    panel = _panel()
    trainer = WalkForwardTrainer(config)
    expected = trainer.run(panel)
    assert not expected.empty
    found = trainer.trained_version(str(expected["model_version"].iloc[-1]))
    assert found is not None
    forecaster = LiveForecaster(config)
    forecaster.forecast_latest(panel)
    latest = forecaster.forecast_latest(panel)  # within the period: the trailing window
    last = expected.sort_values("time").groupby("symbol").tail(1).set_index("symbol")
    window = latest.set_index("symbol").loc[last.index]
    np.testing.assert_allclose(window["prediction"], last["prediction"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(window["confidence"], last["confidence"], rtol=1e-6)


def test_training_choices_come_from_text_the_engine_environment_and_the_command_line() -> None:
    given = {
        "target": "raw",
        "feature_set": "extended",
        "validation_fraction": "0.1",
        "scope": "",
        "ensemble_members": "lightgbm, sklearn/per_asset",
        "hyperparameters": '{"sklearn": {"alpha": 3}}',
    }
    options = training_options(given.get)
    assert options == {
        "target": "raw",
        "feature_set": "extended",
        "validation_fraction": 0.1,
        "ensemble_members": ("lightgbm", "sklearn/per_asset"),
        "hyperparameters": '{"sklearn": {"alpha": 3}}',
    }
    config = WalkForwardConfig(model="ensemble", **options)
    assert config.hyperparameters == {"sklearn": {"alpha": 3.0}}
    with pytest.raises(ValueError, match="validation_fraction must be a number"):
        training_options({"validation_fraction": "a lot"}.get)

    environment = {
        "ATS_DATA_FOLDER": "data",
        "ATS_FORECAST_SYMBOLS": "AAA",
        "ATS_FORECAST_TARGET": "vol_scaled",
        "ATS_FORECAST_FEATURES": "extended",
        "ATS_FORECAST_HYPERPARAMETERS": '{"lightgbm": {"num_leaves": 31}}',
    }
    chosen = config_from_environment("1d", environment).walk_forward_configs()[0]
    assert (chosen.target, chosen.feature_set) == ("vol_scaled", "extended")
    assert chosen.hyperparameters == {"lightgbm": {"num_leaves": 31}}
    with pytest.raises(ValueError, match=r"num_leaves must be an integer in \[2, 4096\]"):
        config_from_environment(
            "1d", {**environment, "ATS_FORECAST_HYPERPARAMETERS": '{"lightgbm": {"num_leaves": 1}}'}
        )

    seen: list[dict[str, object]] = []

    @click.command()
    @training_cli_options()
    def command(training: dict[str, object]) -> None:
        seen.append(training)

    result = CliRunner().invoke(command, ["--target", "cs_zscore", "--features", "extended"])
    assert result.exit_code == 0, result.output
    assert seen[-1] == {"target": "cs_zscore", "feature_set": "extended"}
    result = CliRunner().invoke(command, ["--validation-fraction", "0.9"])
    assert result.exit_code == 2
    assert "0<=x<=0.5" in result.output
