"""Forecast quality: information coefficients, hit rate, Brier score, calibration error."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from risk_models.gates import confidence_bins, expected_calibration_error

RELIABILITY_BINS = 10


@dataclass(frozen=True)
class ReliabilityBin:
    """One row of a reliability table: forecasts whose confidence fell in [low, high)."""

    low: float
    high: float
    count: int
    mean_confidence: float | None
    hit_rate: float | None


@dataclass(frozen=True)
class ForecastQuality:
    """Scores of forecasts against realized returns."""

    n: int
    ic: float | None
    rank_ic: float | None
    hit_rate: float | None
    brier: float | None
    ece: float | None
    reliability: tuple[ReliabilityBin, ...]

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-safe form."""
        document = asdict(self)
        document["reliability"] = [asdict(row) for row in self.reliability]
        return document


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _correlation(left: pd.Series, right: pd.Series) -> float | None:
    if len(left) < 3 or left.std() == 0 or right.std() == 0:
        return None
    return _finite_or_none(float(np.corrcoef(left, right)[0, 1]))


def rank_ic(prediction: pd.Series, outcome: pd.Series) -> float | None:
    """Spearman correlation of ``prediction`` and ``outcome`` over all their rows (ties averaged).

    ``None`` with fewer than three rows or when either side does not vary.
    """
    return _correlation(prediction.rank(), outcome.rank())


def reliability_table(
    confidence: npt.NDArray[np.float64], hits: npt.NDArray[np.float64], bins: int = RELIABILITY_BINS
) -> tuple[ReliabilityBin, ...]:
    """Bin confidences into ``bins`` equal-width bins over [0, 1] and compare with hit rates."""
    position = confidence_bins(confidence, bins)
    rows = []
    for index in range(bins):
        inside = position == index
        count = int(inside.sum())
        rows.append(
            ReliabilityBin(
                low=index / bins,
                high=(index + 1) / bins,
                count=count,
                mean_confidence=float(confidence[inside].mean()) if count else None,
                hit_rate=float(hits[inside].mean()) if count else None,
            )
        )
    return tuple(rows)


def forecast_quality(forecasts: pd.DataFrame) -> ForecastQuality:
    """Score forecasts with columns ``prediction``, ``confidence`` and ``forward_return``.

    Rows without a realized return are left out.
    """
    scored = forecasts.dropna(subset=["prediction", "confidence", "forward_return"])
    prediction, outcome = scored["prediction"], scored["forward_return"]
    confidence = scored["confidence"].to_numpy(dtype=np.float64)
    hits = (prediction.to_numpy() * outcome.to_numpy() > 0).astype(np.float64)
    table = reliability_table(confidence, hits)
    n = len(scored)
    return ForecastQuality(
        n=n,
        ic=_correlation(prediction, outcome),
        rank_ic=rank_ic(prediction, outcome),
        hit_rate=float(hits.mean()) if n else None,
        brier=float(np.mean((confidence - hits) ** 2)) if n else None,
        ece=expected_calibration_error(confidence, hits, RELIABILITY_BINS),
        reliability=table,
    )
