"""Confidence: a calibrated probability that a forecast's sign is right.

Fitted only on out-of-sample forecasts whose outcomes were known when the
calibrator was fitted. The score is the forecast's size in units of its model's
typical prediction, times the ensemble members' agreement (1 for one model);
the calibrator maps it to a probability with a monotone (isotonic) fit over
quantile bins, shrunk towards the overall hit rate where bins are small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression

from alpha_models.arrays import Array
from alpha_models.errors import InsufficientDataError


@dataclass(frozen=True)
class CalibrationConfig:
    """How confidences are calibrated.

    Parameters
    ----------
    minimum_rows
        Out-of-sample rows needed before a calibrator is fitted; until then
        the confidence is 0.5 (no evidence either way).
    bins
        Largest number of quantile bins of the score.
    rows_per_bin
        Smallest number of rows per bin.
    shrinkage_rows
        Pseudo-rows at the overall hit rate added to every bin.
    interval_coverage
        Share of out-of-sample outcomes the prediction interval should cover.
    """

    minimum_rows: int = 250
    bins: int = 20
    rows_per_bin: int = 50
    shrinkage_rows: float = 25.0
    interval_coverage: float = 0.8

    def __post_init__(self) -> None:
        if self.minimum_rows < 2 or self.bins < 1 or self.rows_per_bin < 1:
            raise ValueError("minimum_rows must be >= 2, bins and rows_per_bin >= 1")
        if self.shrinkage_rows < 0:
            raise ValueError("shrinkage_rows must be non-negative")
        if not 0.0 < self.interval_coverage < 1.0:
            raise ValueError("interval_coverage must be between 0 and 1")


def sign_hits(predictions: Array, outcomes: Array) -> Array:
    """Return 1.0 where a prediction's sign matches the outcome's, else 0.0."""
    return np.asarray(predictions * outcomes > 0, dtype=np.float64)


@dataclass(frozen=True)
class ConfidenceCalibrator:
    """A monotone map from score to the probability that the sign is right.

    Attributes
    ----------
    knots
        Increasing scores at which the probability is known.
    probabilities
        Non-decreasing probabilities at the knots (linear in between, flat
        outside).
    interval_half_width
        Half-width of the prediction interval, from out-of-sample residuals.
    rows
        Out-of-sample rows the calibrator was fitted on.
    """

    knots: tuple[float, ...]
    probabilities: tuple[float, ...]
    interval_half_width: float
    rows: int

    @classmethod
    def uninformed(cls) -> ConfidenceCalibrator:
        """Return the calibrator used before any out-of-sample evidence: 0.5."""
        return cls(knots=(0.0,), probabilities=(0.5,), interval_half_width=float("nan"), rows=0)

    @classmethod
    def fit(
        cls,
        scores: Array,
        hits: Array,
        residuals: Array,
        config: CalibrationConfig | None = None,
    ) -> ConfidenceCalibrator:
        """Fit on out-of-sample scores, sign hits (0/1) and residuals.

        Raises
        ------
        InsufficientDataError
            If fewer than ``config.minimum_rows`` rows are given.
        """
        settings = config or CalibrationConfig()
        rows = scores.shape[0]
        if rows < settings.minimum_rows:
            raise InsufficientDataError(
                f"{rows} out-of-sample rows; {settings.minimum_rows} needed"
            )
        order = np.argsort(scores, kind="stable")
        sorted_scores, sorted_hits = scores[order], hits[order]
        bin_count = max(1, min(settings.bins, rows // settings.rows_per_bin))
        edges = np.linspace(0, rows, bin_count + 1).astype(np.int64)
        overall = float(hits.mean())
        centers = np.empty(bin_count)
        rates = np.empty(bin_count)
        weights = np.empty(bin_count)
        for position in range(bin_count):
            chunk = slice(edges[position], edges[position + 1])
            count = edges[position + 1] - edges[position]
            centers[position] = sorted_scores[chunk].mean()
            rates[position] = (sorted_hits[chunk].sum() + settings.shrinkage_rows * overall) / (
                count + settings.shrinkage_rows
            )
            weights[position] = count
        isotonic = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0)
        fitted = np.asarray(isotonic.fit_transform(centers, rates, sample_weight=weights))
        knots, first = np.unique(centers, return_index=True)
        half_width = float(np.quantile(np.abs(residuals), settings.interval_coverage))
        return cls(
            knots=tuple(float(k) for k in knots),
            probabilities=tuple(float(p) for p in fitted[first]),
            interval_half_width=half_width,
            rows=rows,
        )

    def confidence(self, scores: Array) -> Array:
        """Return the calibrated probability that the sign is right for each score."""
        return np.interp(scores, np.asarray(self.knots), np.asarray(self.probabilities))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable form."""
        return {
            "knots": list(self.knots),
            "probabilities": list(self.probabilities),
            "interval_half_width": self.interval_half_width,
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> ConfidenceCalibrator:
        """Rebuild from :meth:`to_dict` output."""
        return cls(
            knots=tuple(float(k) for k in document["knots"]),
            probabilities=tuple(float(p) for p in document["probabilities"]),
            interval_half_width=float(document["interval_half_width"]),
            rows=int(document["rows"]),
        )
