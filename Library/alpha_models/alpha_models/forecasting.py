"""Turn a trained model version and feature rows into forecasts with confidence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alpha_models.arrays import Array
from alpha_models.calibration import ConfidenceCalibrator
from alpha_models.models.base import ForecastModel
from alpha_models.models.ensemble import member_agreement
from alpha_models.registry import ModelVersion
from alpha_models.targets import TargetSpec, to_return_units


@dataclass(frozen=True)
class ForecastBatch:
    """Forecasts of many rows.

    Attributes
    ----------
    prediction
        Expected return over the horizon (the model's output mapped back to return
        units when it was trained on another target; :mod:`alpha_models.targets`).
    score
        Forecast size in units of the model's typical prediction (in the units it was
        trained in), times member agreement.
    confidence
        Calibrated probability that the prediction's sign is right.
    interval_low, interval_high
        Prediction interval from out-of-sample residuals (NaN before any evidence).
    """

    prediction: Array
    score: Array
    confidence: Array
    interval_low: Array
    interval_high: Array


def forecast_rows(
    model: ForecastModel,
    metadata: ModelVersion,
    features: Array,
    *,
    volatility: Array | None = None,
    assets: Array | None = None,
) -> ForecastBatch:
    """Predict and calibrate ``features`` (rows, features) with one model version.

    Parameters
    ----------
    model, metadata
        The version.
    features
        Feature rows.
    volatility
        Each row's ex-ante volatility (:func:`alpha_models.targets.ex_ante_volatility`);
        needed when the version was trained on the ``vol_scaled`` target.
    assets
        Each row's asset name; needed by per-asset models.

    Raises
    ------
    ValueError
        If the version's target needs the volatility and none is given.
    """
    target = TargetSpec.of_version(metadata.params)
    members = model.predict_members(features, assets=assets)
    output = model.combine(members)
    agreement = member_agreement(members, model.member_weights()) if members.shape[1] > 1 else 1.0
    score = np.abs(output) / metadata.prediction_scale * agreement
    prediction = to_return_units(output, target, volatility)
    calibrator = (
        ConfidenceCalibrator.from_dict(metadata.calibration)
        if metadata.calibration
        else ConfidenceCalibrator.uninformed()
    )
    half_width = calibrator.interval_half_width
    return ForecastBatch(
        prediction=prediction,
        score=np.asarray(score, dtype=np.float64),
        confidence=calibrator.confidence(score),
        interval_low=prediction - half_width,
        interval_high=prediction + half_width,
    )
