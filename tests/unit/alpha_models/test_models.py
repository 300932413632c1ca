"""Every model kind fits, predicts, finds a planted signal and survives save / load.

Rows carry an asset name (three assets in turn): pooled models ignore it, per-asset
models and the default ensemble (which has a per-asset member) route by it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpha_models.errors import InsufficientDataError, RegistryError
from alpha_models.models import MODEL_KINDS, load_model, make_model
from alpha_models.models.ensemble import member_agreement

NAMES = ("return_1", "return_1_lag_1", "return_1_lag_2", "momentum_20", "noise")


ASSETS = np.array(["AAA", "BBB", "CCC"], dtype=object)
SPECS = [(kind, "pooled") for kind in MODEL_KINDS] + [
    (kind, "per_asset") for kind in MODEL_KINDS if kind != "ensemble"
]


def _data(rows: int = 1500, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    features = generator.normal(size=(rows, len(NAMES)))
    targets = 0.5 * features[:, 0] - 0.3 * features[:, 1] + generator.normal(scale=0.5, size=rows)
    return features, targets


def _assets(rows: int) -> np.ndarray:
    return ASSETS[np.arange(rows) % ASSETS.size]


@pytest.mark.parametrize(("kind", "scope"), SPECS)
def test_model_learns_a_planted_signal(kind: str, scope: str) -> None:
    features, targets = _data()
    assets = _assets(features.shape[0])
    model = make_model(kind, seed=1, feature_names=NAMES, scope=scope)
    model.fit(features[:1000], targets[:1000], assets=assets[:1000])
    prediction = model.predict(features[1000:], assets=assets[1000:])
    assert prediction.shape == (500,)
    assert prediction.dtype == np.float64
    assert np.corrcoef(prediction, targets[1000:])[0, 1] > 0.5
    assert model.name
    assert isinstance(model.params, dict)


@pytest.mark.parametrize(("kind", "scope"), SPECS)
def test_saved_model_predicts_identically(kind: str, scope: str, tmp_path: Path) -> None:
    features, targets = _data(rows=900)
    assets = _assets(900)
    model = make_model(kind, seed=2, feature_names=NAMES, scope=scope)
    model.fit(features, targets, assets=assets)
    model.save(tmp_path / kind)
    loaded = load_model(tmp_path / kind)
    np.testing.assert_array_equal(
        loaded.predict(features, assets=assets), model.predict(features, assets=assets)
    )
    assert loaded.params == model.params
    np.testing.assert_array_equal(loaded.member_weights(), model.member_weights())


def test_lightgbm_is_bit_identical_for_a_seed_and_differs_across_seeds() -> None:
    features, targets = _data()
    first, second, other = (make_model("lightgbm", seed=s, feature_names=NAMES) for s in (5, 5, 6))
    for model in (first, second, other):
        model.fit(features, targets)
    np.testing.assert_array_equal(first.predict(features), second.predict(features))
    assert not np.array_equal(first.predict(features), other.predict(features))


def test_ensemble_without_validation_averages_its_members_and_agreement_is_weighted() -> None:
    features, targets = _data(rows=600)
    assets = _assets(600)
    ensemble = make_model("ensemble", seed=0, feature_names=NAMES)
    ensemble.fit(features, targets, assets=assets)
    members = ensemble.predict_members(features, assets=assets)
    assert members.shape == (600, 4)
    np.testing.assert_allclose(ensemble.predict(features, assets=assets), members.mean(axis=1))
    agreement = member_agreement(np.array([[1.0, 2.0, -0.5], [1.0, 1.0, 1.0]]))
    np.testing.assert_allclose(agreement, [2 / 3, 1.0])
    weighted = member_agreement(np.array([[1.0, -2.0, -0.5]]), np.array([0.7, 0.1, 0.2]))
    np.testing.assert_allclose(weighted, [0.7])


def test_bad_training_input_is_rejected() -> None:
    model = make_model("sklearn", seed=0, feature_names=NAMES)
    features, targets = _data(rows=10)
    targets[3] = np.nan
    with pytest.raises(ValueError, match="finite"):
        model.fit(features, targets)
    with pytest.raises(ValueError, match=r"\(rows, features\)"):
        model.fit(features[:, 0], targets)
    with pytest.raises(InsufficientDataError):
        model.fit(features[:1], targets[:1])
    with pytest.raises(RuntimeError, match="not fitted"):
        model.predict(features)
    with pytest.raises(ValueError, match="unknown model kind"):
        make_model("prophet", seed=0, feature_names=NAMES)
    with pytest.raises(ValueError, match="lagged-return"):
        make_model("statsmodels", seed=0, feature_names=("rsi_14",))


def test_loading_a_folder_without_a_model_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="no readable model"):
        load_model(tmp_path)


@pytest.mark.parametrize(("kind", "scope"), SPECS)
def test_a_row_predicts_the_same_alone_or_in_any_batch(kind: str, scope: str) -> None:
    features, targets = _data(rows=1200)
    assets = _assets(1200)
    model = make_model(kind, seed=0, feature_names=NAMES, scope=scope)
    model.fit(features[:900], targets[:900], assets=assets[:900])
    batch = model.predict(features[900:], assets=assets[900:])
    for size in (1, 3, 17, 64):
        np.testing.assert_array_equal(
            model.predict(features[900 : 900 + size], assets=assets[900 : 900 + size]),
            batch[:size],
        )
    np.testing.assert_array_equal(model.predict(features[1199:], assets=assets[1199:]), batch[-1:])
