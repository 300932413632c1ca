"""Confidence calibration against a known probability of being right."""

from __future__ import annotations

import numpy as np
import pytest

from alpha_models.calibration import CalibrationConfig, ConfidenceCalibrator, sign_hits
from alpha_models.errors import InsufficientDataError


def _sample(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores whose true probability of a right sign is 0.5 + 0.3 * min(score, 1)."""
    generator = np.random.default_rng(seed)
    scores = generator.exponential(0.5, size=rows)
    truth = 0.5 + 0.3 * np.minimum(scores, 1.0)
    hits = (generator.random(rows) < truth).astype(float)
    return scores, hits, truth


def test_calibrated_confidence_tracks_the_true_probability_out_of_sample() -> None:
    scores, hits, _ = _sample(5000, seed=1)
    calibrator = ConfidenceCalibrator.fit(scores, hits, np.zeros(5000))
    test_scores, test_hits, truth = _sample(5000, seed=2)
    confidence = calibrator.confidence(test_scores)
    assert np.all(np.diff(confidence[np.argsort(test_scores)]) >= 0)
    assert np.mean(np.abs(confidence - truth)) < 0.03
    bins = np.clip((confidence * 10).astype(int), 0, 9)
    ece = sum(
        abs(confidence[bins == b].mean() - test_hits[bins == b].mean()) * (bins == b).sum()
        for b in np.unique(bins)
    ) / len(bins)
    assert ece < 0.05


def test_uninformed_calibrator_says_one_half_and_round_trips() -> None:
    calibrator = ConfidenceCalibrator.uninformed()
    np.testing.assert_array_equal(calibrator.confidence(np.array([0.0, 3.0])), [0.5, 0.5])
    scores, hits, _ = _sample(1000, seed=3)
    fitted = ConfidenceCalibrator.fit(scores, hits, np.linspace(-1, 1, 1000))
    assert ConfidenceCalibrator.from_dict(fitted.to_dict()) == fitted
    assert fitted.interval_half_width == pytest.approx(0.8, abs=0.01)


def test_too_few_rows_and_bad_settings_are_rejected() -> None:
    with pytest.raises(InsufficientDataError):
        ConfidenceCalibrator.fit(np.ones(10), np.ones(10), np.ones(10))
    with pytest.raises(ValueError, match="interval_coverage"):
        CalibrationConfig(interval_coverage=1.5)


def test_sign_hits() -> None:
    np.testing.assert_array_equal(
        sign_hits(np.array([1.0, -1.0, 1.0, 0.0]), np.array([2.0, -3.0, -1.0, 1.0])), [1, 1, 0, 0]
    )
