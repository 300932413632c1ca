"""The walk-forward's named feature set: chosen in the configuration, used by training and live."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alpha_models.bars import BarPanel
from alpha_models.features import default_features
from alpha_models.live import LiveForecaster
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from engines.forecast.engine import config_from_environment
from tests.unit.alpha_models.synthetic import random_walk_bars


def _panel(symbols: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(symbols, days=420, seed=4))


def test_the_extended_set_trains_and_names_its_features() -> None:
    config = WalkForwardConfig(model="sklearn", feature_set="extended", target="raw")
    trainer = WalkForwardTrainer(config)
    forecasts = trainer.run(_panel())
    assert not forecasts.empty
    version = trainer.trained_version(str(forecasts["model_version"].iloc[-1]))
    assert version is not None
    names = version[1].features
    assert len(names) == 90
    assert {"candle_close_position", "cs_rank_return_1"} <= set(names)
    basic = WalkForwardTrainer(
        WalkForwardConfig(model="sklearn", target="raw", feature_set="basic")
    )
    basic_forecasts = basic.run(_panel())
    assert set(basic_forecasts["model_version"]).isdisjoint(forecasts["model_version"])


def test_one_asset_gets_the_set_without_cross_sectional_features() -> None:
    trainer = WalkForwardTrainer(WalkForwardConfig(feature_set="extended"))
    definitions = trainer.definitions_for(_panel(("AAA",)))
    assert definitions is not None
    assert len(definitions) == 77
    assert not any(definition.name.startswith("cs_") for definition in definitions)


def test_extended_is_the_default_and_explicit_definitions_win() -> None:
    assert WalkForwardConfig().feature_set == "extended"
    chosen_by_default = WalkForwardTrainer(WalkForwardConfig()).definitions_for(_panel())
    assert chosen_by_default is not None
    assert len(chosen_by_default) == 90
    basic = WalkForwardTrainer(WalkForwardConfig(feature_set="basic"))
    assert basic.definitions_for(_panel()) is None  # compute_features' own default
    mine = default_features()[:3]
    chosen = WalkForwardTrainer(WalkForwardConfig(feature_set="extended"), features=mine)
    assert chosen.definitions_for(_panel()) == mine


def test_live_forecasts_use_the_same_set_as_the_walk_forward() -> None:
    config = WalkForwardConfig(model="sklearn", feature_set="extended", target="raw")
    panel = _panel()
    expected = WalkForwardTrainer(config).run(panel)
    forecaster = LiveForecaster(config)
    forecaster.forecast_latest(panel)  # the full run: trains and keeps the period's version
    latest = forecaster.forecast_latest(panel)  # within the period: the trailing window
    last = expected.sort_values("time").groupby("symbol").tail(1).set_index("symbol")
    window = latest.set_index("symbol").loc[last.index]
    np.testing.assert_allclose(window["prediction"], last["prediction"], rtol=1e-6, atol=1e-12)


def test_an_unknown_set_is_refused_and_the_engine_reads_its_variable() -> None:
    with pytest.raises(ValueError, match="unknown feature set 'huge'"):
        WalkForwardConfig(feature_set="huge")
    environment = {"ATS_DATA_FOLDER": "data", "ATS_FORECAST_SYMBOLS": "AAA"}
    default = config_from_environment("1d", environment).walk_forward_configs()[0]
    assert default.feature_set == "extended"
    chosen = config_from_environment("1d", {**environment, "ATS_FORECAST_FEATURES": "basic"})
    assert chosen.walk_forward_configs()[0].feature_set == "basic"


def test_a_version_is_forecast_with_the_features_it_was_trained_on() -> None:
    # a version trained on the basic set (e.g. restored by an operator after the default
    # changed to extended) forecasts with exactly its own twelve features
    basic_config = WalkForwardConfig(model="sklearn", feature_set="basic", target="raw")
    panel = _panel()
    trainer = WalkForwardTrainer(basic_config)
    expected = trainer.run(panel)
    found = trainer.trained_version(str(expected["model_version"].iloc[-1]))
    assert found is not None
    model, metadata = found
    assert len(metadata.features) == 12
    forecaster = LiveForecaster(WalkForwardConfig(model="sklearn", target="raw"))
    assert forecaster.trainer.config.feature_set == "extended"
    latest = forecaster.forecast_with(panel, model, metadata).set_index("symbol")
    last = expected.sort_values("time").groupby("symbol").tail(1).set_index("symbol")
    np.testing.assert_allclose(
        latest.loc[last.index, "prediction"], last["prediction"], rtol=1e-6, atol=1e-12
    )
    unknown = replace(metadata, features=(*metadata.features[:-1], "tomorrows_close"))
    with pytest.raises(ValueError, match=r"no feature set defines \['tomorrows_close'\]"):
        forecaster.forecast_with(panel, model, unknown)
