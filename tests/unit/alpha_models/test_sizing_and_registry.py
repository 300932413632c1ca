"""Sizing rule and registry edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from alpha_models.errors import RegistryError
from alpha_models.registry import ModelRegistry
from alpha_models.sizing import DEFAULT_ENTRY_CONFIDENCE, target_positions


def test_positions_follow_the_sign_above_the_threshold() -> None:
    prediction = np.array([0.01, -0.02, 0.03, 0.01, np.nan])
    confidence = np.array([0.71, 0.70, 0.69, np.nan, 0.9])
    positions = target_positions(prediction, confidence, entry_confidence=0.7)
    np.testing.assert_array_equal(positions, [1.0, -1.0, 0.0, 0.0, 0.0])
    scaled = target_positions(
        prediction, confidence, entry_confidence=0.7, max_allocation=0.5, risk_factor=0.5
    )
    np.testing.assert_array_equal(scaled, [0.25, -0.25, 0.0, 0.0, 0.0])
    assert 0.5 <= DEFAULT_ENTRY_CONFIDENCE < 0.7


def test_sizing_rejects_impossible_settings() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        target_positions(np.ones(1), np.ones(1), entry_confidence=1.2)
    with pytest.raises(ValueError, match="risk_factor"):
        target_positions(np.ones(1), np.ones(1), risk_factor=2.0)


def test_registry_rejects_unsafe_names_and_unknown_versions(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.versions() == []
    with pytest.raises(RegistryError, match="invalid model version"):
        registry.path_of("../escape")
    with pytest.raises(RegistryError, match="cannot read"):
        registry.metadata("missing")
    assert not registry.contains("missing")
