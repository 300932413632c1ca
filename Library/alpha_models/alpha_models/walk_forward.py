"""Walk-forward training: calendar retraining with purge and embargo, no look-ahead.

For every calendar period starting at ``S`` the trainer

1. fits the confidence calibrator on earlier out-of-sample forecasts whose
   outcomes were known at ``S`` (``label_end <= S``);
2. trains a model on rows whose label window ended at least the embargo
   before ``S`` (``label_end <= S - embargo``, embargo >= the horizon), and
   refuses any row that breaks this rule;
3. forecasts every row made during the period (``S <= available_at < next S``).

The model is fitted on the configured training target (:mod:`alpha_models.targets`:
the raw forward return, or it scaled by the ex-ante volatility, or standardized or
ranked across assets per date); its output is mapped back to an expected return
before it is published, so forecasts are in return units whatever the target.

Everything depends only on data known at ``S`` and on the seed, so forecasts
are bit-identical however much data follows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from alpha_models.arrays import Array
from alpha_models.bars import BarPanel
from alpha_models.calibration import CalibrationConfig, ConfidenceCalibrator, sign_hits
from alpha_models.errors import InsufficientDataError
from alpha_models.features import (
    FEATURE_SETS,
    FeatureDefinition,
    FeatureMatrix,
    compute_features,
    feature_set,
)
from alpha_models.forecast_table import FORECAST_COLUMNS, empty_forecasts, latest_forecasts
from alpha_models.forecasting import forecast_rows
from alpha_models.labels import NOT_A_TIME, forward_returns
from alpha_models.models.base import ForecastModel, ValidationSet
from alpha_models.models.factory import (
    DEFAULT_ENSEMBLE_MEMBERS,
    MODEL_KINDS,
    SCOPES,
    check_member,
    make_model,
)
from alpha_models.models.hyperparameters import validate_hyperparameters
from alpha_models.registry import ModelRegistry, ModelVersion, data_hash
from alpha_models.rows import FeatureRows, ensure_labels_end_before, flatten_rows
from alpha_models.schedule import RETRAIN_FREQUENCIES, retrain_times
from alpha_models.targets import (
    TARGETS,
    TargetSpec,
    cross_section_groups,
    cross_sectional_scale,
    ex_ante_volatility,
    training_targets,
)
from alpha_models.validation import purged_validation_split
from signal_bus.horizon import Horizon

SCALE_SAMPLE_ROWS = 2000

__all__ = [
    "FORECAST_COLUMNS",
    "FeatureRows",
    "WalkForwardConfig",
    "WalkForwardTrainer",
    "ensure_labels_end_before",
    "flatten_rows",
    "latest_forecasts",
]


@dataclass(frozen=True)
class WalkForwardConfig:
    """Settings of the walk-forward trainer.

    Parameters
    ----------
    horizon
        Forecast horizon.
    resolution
        Bar resolution, ``"daily"`` or ``"hour"``.
    hours_per_day
        Hourly bars per trading day (7 for US equities, 24 for crypto).
    model
        Model kind, one of :data:`alpha_models.models.MODEL_KINDS`.
    seed
        Random seed; same inputs and seed give bit-identical forecasts.
    retrain_frequency
        ``"weekly"``, ``"monthly"`` or ``"quarterly"``.
    training_window
        Only rows made within this span before the period are used; ``None``
        for an expanding window.
    minimum_training_rows
        Periods with fewer training rows produce no forecasts.
    embargo
        Gap between the last training label's end and the period start; at
        least the horizon (the default).
    target_clip_quantile
        Training targets are clipped to this lower / upper quantile of the
        training rows.
    calibration
        Confidence calibration settings.
    calibration_window
        Only out-of-sample rows made within this span are used; ``None`` for all.
    target
        What the model is fitted on, one of :data:`alpha_models.targets.TARGETS`:
        ``"raw"`` (the forward return), ``"vol_scaled"`` (it over the asset's ex-ante
        volatility), ``"cs_zscore"`` or ``"cs_rank"`` (standardized or ranked across
        the assets of each date, on dates with at least ``minimum_cross_section``
        assets). A period whose cross-sectional targets would leave fewer than
        ``minimum_training_rows`` rows (too few assets, or too few dates with enough)
        is trained on ``"raw"`` instead, and its version records that, so a universe
        smaller than ``minimum_cross_section`` forecasts exactly as with ``"raw"``.
        Forecasts are published as expected returns whatever the target. The default
        is chosen by walk-forward evidence (``Library/alpha_models/README.md``,
        "Training targets").
    target_volatility_window
        Trailing one-bar returns of the ex-ante volatility (``vol_scaled``).
    target_volatility_halflife
        Half-life in bars of their weights (``vol_scaled``).
    minimum_cross_section
        Fewest assets with a label on a date for a cross-sectional target (at least 2).
    feature_set
        Named feature set, one of :data:`alpha_models.features.FEATURE_SETS`
        (``"extended"``, the default since walk-forward evidence chose it, or
        ``"basic"``); ignored when the trainer is given explicit feature definitions.
    validation_fraction
        Share of each fold's newest training dates held out as a purged validation
        slice (:mod:`alpha_models.validation`), on which LightGBM stops early and the
        ensemble's weights are chosen; in ``[0, 0.5]``, 0 for none. Models with no use
        for it (ridge, the autoregression) fit on every row. A fold with fewer
        than ``minimum_validation_rows`` held-out rows or ``minimum_training_rows``
        fitting rows fits on every row instead (and its version says so).
    minimum_validation_rows
        Fewest held-out rows for a validation slice.
    scope
        ``"pooled"`` (one model over every asset of the horizon) or ``"per_asset"`` (one
        per asset with enough rows, the pooled model for the rest); not for ``ensemble``.
    ensemble_members
        Members of the ``ensemble`` model, each a kind or ``kind/per_asset``.
    hyperparameters
        ``{kind: {name: value}}`` replacing model defaults, checked against the allowed
        ranges (:mod:`alpha_models.models.hyperparameters`); a mapping or its JSON text.
    """

    horizon: Horizon = field(default_factory=lambda: Horizon("1d"))
    resolution: str = "daily"
    hours_per_day: int = 24
    model: str = "lightgbm"
    seed: int = 0
    retrain_frequency: str = "monthly"
    training_window: dt.timedelta | None = None
    minimum_training_rows: int = 500
    embargo: dt.timedelta | None = None
    target_clip_quantile: float = 0.01
    calibration: CalibrationConfig = field(default_factory=CalibrationConfig)
    calibration_window: dt.timedelta | None = None
    target: str = "cs_rank"
    target_volatility_window: int = 60
    target_volatility_halflife: float = 20.0
    minimum_cross_section: int = 20
    feature_set: str = "extended"
    validation_fraction: float = 0.2
    minimum_validation_rows: int = 100
    scope: str = "pooled"
    ensemble_members: tuple[str, ...] = DEFAULT_ENSEMBLE_MEMBERS
    hyperparameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hyperparameters", validate_hyperparameters(self.hyperparameters))
        if not 0.0 <= self.validation_fraction <= 0.5:
            raise ValueError(
                f"validation_fraction must be in [0, 0.5]; got {self.validation_fraction}"
            )
        if self.minimum_validation_rows < 1:
            raise ValueError("minimum_validation_rows must be at least 1")
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}; expected one of {list(SCOPES)}")
        if self.model == "ensemble" and self.scope != "pooled":
            raise ValueError("an ensemble's scope is set per member (kind/per_asset)")
        object.__setattr__(self, "ensemble_members", tuple(self.ensemble_members))
        if not self.ensemble_members:
            raise ValueError("ensemble_members must name at least one member")
        for member in self.ensemble_members:
            check_member(member)
        if self.feature_set not in FEATURE_SETS:
            raise ValueError(
                f"unknown feature set {self.feature_set!r}; expected one of {list(FEATURE_SETS)}"
            )
        if self.target not in TARGETS:
            raise ValueError(f"unknown target {self.target!r}; expected one of {list(TARGETS)}")
        if self.minimum_cross_section < 2:
            raise ValueError("minimum_cross_section must be at least 2")
        if self.target_volatility_window < 2 or self.target_volatility_halflife <= 0:
            raise ValueError(
                "target_volatility_window must be >= 2 and target_volatility_halflife positive"
            )
        if self.model not in MODEL_KINDS:
            raise ValueError(f"unknown model {self.model!r}; expected one of {list(MODEL_KINDS)}")
        if self.retrain_frequency not in RETRAIN_FREQUENCIES:
            raise ValueError(f"unknown retrain frequency {self.retrain_frequency!r}")
        self.horizon.bars(self.resolution, hours_per_day=self.hours_per_day)
        if self.embargo is not None and self.embargo < self.horizon.duration:
            raise ValueError(
                f"embargo {self.embargo} is shorter than the horizon {self.horizon.duration}"
            )
        if self.minimum_training_rows < 2:
            raise ValueError("minimum_training_rows must be at least 2")
        if not 0.0 <= self.target_clip_quantile < 0.5:
            raise ValueError("target_clip_quantile must be in [0, 0.5)")
        for name in ("training_window", "calibration_window"):
            value = getattr(self, name)
            if value is not None and value <= dt.timedelta(0):
                raise ValueError(f"{name} must be positive")

    @property
    def uses_assets(self) -> bool:
        """Whether the model routes rows by asset (a per-asset model or member)."""
        if self.model == "ensemble":
            return any(check_member(m)[1] == "per_asset" for m in self.ensemble_members)
        return self.scope == "per_asset"

    @property
    def horizon_bars(self) -> int:
        """Return the horizon in bars of the resolution."""
        return self.horizon.bars(self.resolution, hours_per_day=self.hours_per_day)

    @property
    def effective_embargo(self) -> dt.timedelta:
        """Return the embargo actually applied."""
        return self.embargo if self.embargo is not None else self.horizon.duration

    @property
    def target_spec(self) -> TargetSpec:
        """Return the training target's settings (the scale is set per version)."""
        return TargetSpec(
            name=self.target,
            horizon_bars=self.horizon_bars,
            volatility_window=self.target_volatility_window,
            volatility_halflife=self.target_volatility_halflife,
            volatility_min_returns=min(20, self.target_volatility_window),
            minimum_cross_section=self.minimum_cross_section,
        )


def _version_id(kind: str, horizon: str, valid_from: pd.Timestamp, parts: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    return f"{kind}-{horizon}-{valid_from:%Y%m%dT%H%M}-{digest}"


def _ns_iso(value: int) -> str:
    return pd.Timestamp(int(value)).isoformat()


class WalkForwardTrainer:
    """Train, calibrate and forecast period by period without look-ahead.

    Parameters
    ----------
    config
        Trainer settings.
    features
        Feature definitions; the default set when omitted.
    registry
        Where model versions are saved (and reused when already saved).

    Versions trained by one trainer are also kept in memory, so calling :meth:`run`
    again on a longer history (e.g. every day inside a LEAN backtest) trains only
    the periods that are new.
    """

    def __init__(
        self,
        config: WalkForwardConfig | None = None,
        *,
        features: Sequence[FeatureDefinition] | None = None,
        registry: ModelRegistry | None = None,
    ):
        self.config = config or WalkForwardConfig()
        self.features = tuple(features) if features is not None else None
        self.registry = registry
        self._trained: dict[str, tuple[ForecastModel, ModelVersion]] = {}

    def trained_version(self, version: str) -> tuple[ForecastModel, ModelVersion] | None:
        """Return a version this trainer trained or loaded, if it has."""
        return self._trained.get(version)

    def definitions_for(self, panel: BarPanel) -> tuple[FeatureDefinition, ...] | None:
        """The feature definitions used on ``panel`` (``None``: the ``basic`` set).

        Explicit definitions given to the trainer win; otherwise the configured named set,
        whose cross-sectional features depend on how many assets the panel holds.
        """
        if self.features is not None:
            return self.features
        if self.config.feature_set == "basic":
            return None
        return feature_set(self.config.feature_set, asset_count=len(panel.assets))

    def prepare(self, panel: BarPanel) -> tuple[FeatureMatrix, FeatureRows]:
        """Compute features, labels and the flattened complete rows.

        With the ``vol_scaled`` target the rows carry their ex-ante volatility (rows
        without one are left out).
        """
        spec = self.config.target_spec
        matrix = compute_features(panel, self.definitions_for(panel))
        labels = forward_returns(panel, self.config.horizon_bars)
        volatility = (
            ex_ante_volatility(panel.close.to_numpy(dtype=np.float64), spec)
            if spec.needs_volatility
            else None
        )
        return matrix, flatten_rows(matrix, labels, volatility)

    def train(
        self,
        features: Array,
        targets: Array,
        label_end: Array,
        *,
        forecast_time: pd.Timestamp,
        feature_names: Sequence[str],
        assets: Sequence[str],
        available_at: Array,
        calibrator: ConfidenceCalibrator,
        out_of_sample: dict[str, float] | None = None,
        target: TargetSpec | None = None,
        row_assets: Array | None = None,
    ) -> tuple[ForecastModel, ModelVersion]:
        """Train one model version for forecasts from ``forecast_time`` on.

        ``targets`` are the rows' training targets in the units of ``target`` (the
        configured target, with a scale of 1, when omitted). The version's ``params``
        record the target under ``"target"``, and its id changes with the target (a
        ``raw`` version keeps the id it had before targets were a choice).

        With a ``validation_fraction`` and a model that uses a validation set (LightGBM
        with early stopping, an ensemble, per-asset models of those), the newest training
        dates are held out (:func:`alpha_models.validation.purged_validation_split`) and
        the model fits on the purged rest; other models fit on every row.
        ``params["fit"]`` records the split and what was chosen on it (LightGBM's rounds
        kept, the ensemble's weights). ``row_assets`` (each row's asset
        name) is needed by per-asset models.

        Raises
        ------
        LookAheadError
            If any row's label window ends after ``forecast_time`` minus the embargo.
        InsufficientDataError
            If there are fewer than ``minimum_training_rows`` rows.
        """
        settings = self.config
        ensure_labels_end_before(label_end, forecast_time, settings.effective_embargo)
        if features.shape[0] < settings.minimum_training_rows:
            raise InsufficientDataError(
                f"{features.shape[0]} training rows before {forecast_time}; "
                f"{settings.minimum_training_rows} needed"
            )
        if settings.target_clip_quantile > 0:
            low, high = np.quantile(
                targets, [settings.target_clip_quantile, 1 - settings.target_clip_quantile]
            )
            targets = np.clip(targets, low, high)
        model = make_model(
            settings.model,
            seed=settings.seed,
            feature_names=feature_names,
            hyperparameters=settings.hyperparameters,
            scope=settings.scope,
            members=settings.ensemble_members,
        )
        target = target if target is not None else settings.target_spec
        digest = data_hash(features, targets)
        calibration = calibrator.to_dict()
        recipe = [
            digest,
            json.dumps(model.params, sort_keys=True),
            ",".join(feature_names),
            str(settings.seed),
            json.dumps(calibration, sort_keys=True),
        ]
        if target.name != "raw":
            recipe.append(json.dumps(target.to_dict(), sort_keys=True))
        if settings.validation_fraction > 0 and model.uses_validation:
            recipe.append(
                f"validation {settings.validation_fraction} {settings.minimum_validation_rows}"
            )
        if settings.uses_assets:
            if row_assets is None:
                raise ValueError("a per-asset model needs row_assets")
            names = "\n".join(str(name) for name in row_assets)
            recipe.append(hashlib.sha256(names.encode()).hexdigest())
        version = _version_id(settings.model, settings.horizon.name, forecast_time, recipe)
        if version in self._trained:
            return self._trained[version]
        if self.registry is not None and self.registry.contains(version):
            self._trained[version] = self.registry.load(version)
            return self._trained[version]
        split = (
            purged_validation_split(
                available_at,
                label_end,
                fraction=settings.validation_fraction,
                embargo=pd.Timedelta(settings.effective_embargo),
                minimum_fit_rows=settings.minimum_training_rows,
                minimum_validation_rows=settings.minimum_validation_rows,
            )
            if model.uses_validation
            else None
        )
        if split is None:
            model.fit(features, targets, assets=row_assets)
            fit_record: dict[str, Any] = {"validation_rows": 0, "fit_rows": int(targets.size)}
        else:
            model.fit(
                features[split.fit],
                targets[split.fit],
                assets=None if row_assets is None else row_assets[split.fit],
                validation=ValidationSet(
                    features[split.held_out],
                    targets[split.held_out],
                    None if row_assets is None else row_assets[split.held_out],
                ),
            )
            fit_record = split.summary()
        sample = features[-SCALE_SAMPLE_ROWS:]
        sample_assets = None if row_assets is None else row_assets[-SCALE_SAMPLE_ROWS:]
        scale = (
            float(np.std(model.predict(sample, assets=sample_assets)))
            if sample.shape[0] > 1
            else 0.0
        )
        metadata = ModelVersion(
            version=version,
            model=settings.model,
            horizon=settings.horizon.name,
            training_start=_ns_iso(int(available_at.min())),
            training_end=_ns_iso(int(available_at.max())),
            last_label_end=_ns_iso(int(label_end.max())),
            valid_from=forecast_time.isoformat(),
            features=tuple(feature_names),
            assets=tuple(assets),
            data_hash=digest,
            seed=settings.seed,
            params={
                **model.params,
                "target": target.to_dict(),
                "fit": {**fit_record, **model.fit_summary},
            },
            training_rows=int(features.shape[0]),
            prediction_scale=scale if scale > 0 else 1.0,
            calibration=calibration,
            out_of_sample=dict(out_of_sample or {}),
        )
        if self.registry is not None:
            self.registry.save(model, metadata)
        self._trained[version] = (model, metadata)
        return model, metadata

    def run(
        self, panel: BarPanel, *, on_period: Callable[[int, int], None] | None = None
    ) -> pd.DataFrame:
        """Walk forward through ``panel`` and return every out-of-sample forecast.

        Parameters
        ----------
        panel
            Aligned bars.
        on_period
            Called with (periods done, periods in total) after each period, for progress.

        Returns
        -------
        pandas.DataFrame
            One row per forecast with :data:`FORECAST_COLUMNS`; ``time`` is when
            the forecast was made (its bar's end time).
        """
        matrix, rows = self.prepare(panel)
        settings = self.config
        if rows.available_at.size == 0:
            return empty_forecasts()
        spec = settings.target_spec
        has_label = rows.label_end != NOT_A_TIME
        groups = cross_section_groups(rows.time_index, rows.label_end, has_label)
        fit_targets = training_targets(
            spec, rows.targets, groups=groups, volatility=rows.volatility
        )
        trainable = has_label & np.isfinite(fit_targets)
        raw_spec = TargetSpec(name="raw", horizon_bars=spec.horizon_bars)
        first = pd.Timestamp(int(rows.available_at.min()))
        last = pd.Timestamp(int(rows.available_at.max()))
        boundaries = retrain_times(first, last, settings.retrain_frequency)
        embargo_limit = pd.Timedelta(settings.effective_embargo)
        row_assets = np.asarray(matrix.assets, dtype=object)[rows.asset_index]
        pool: list[Array] = []
        pieces: list[pd.DataFrame] = []
        for position, start in enumerate(boundaries):
            if on_period is not None and position:
                on_period(position, len(boundaries))
            stop = boundaries[position + 1] if position + 1 < len(boundaries) else None
            in_period = rows.available_at >= start.value
            if stop is not None:
                in_period &= rows.available_at < stop.value
            if not in_period.any():
                continue
            known = has_label & (rows.label_end <= (start - embargo_limit).value)
            if settings.training_window is not None:
                known &= rows.available_at >= (start - pd.Timedelta(settings.training_window)).value
            train_mask = known & trainable
            period_spec, period_targets = spec, fit_targets
            if spec.cross_sectional:
                if int(train_mask.sum()) >= settings.minimum_training_rows:
                    scale = cross_sectional_scale(rows.targets, groups, train_mask)
                    period_spec = spec.with_scale(scale)
                else:
                    # one asset, or too few dates with two: this period learns raw returns
                    train_mask, period_spec, period_targets = known, raw_spec, rows.targets
            if int(train_mask.sum()) < settings.minimum_training_rows:
                continue
            calibrator, evidence = self._calibrator_at(start, pool, rows)
            model, metadata = self.train(
                rows.features[train_mask],
                period_targets[train_mask],
                rows.label_end[train_mask],
                forecast_time=start,
                feature_names=matrix.names,
                assets=matrix.assets,
                available_at=rows.available_at[train_mask],
                calibrator=calibrator,
                out_of_sample=evidence,
                target=period_spec,
                row_assets=row_assets[train_mask] if settings.uses_assets else None,
            )
            selected = np.flatnonzero(in_period)
            result = forecast_rows(
                model,
                metadata,
                rows.features[selected],
                volatility=None if rows.volatility is None else rows.volatility[selected],
                assets=row_assets[selected],
            )
            pool.append(
                np.column_stack([selected.astype(np.float64), result.prediction, result.score])
            )
            pieces.append(
                pd.DataFrame(
                    {
                        "symbol": row_assets[selected],
                        "time": pd.to_datetime(rows.available_at[selected]),
                        "bar_time": matrix.times[rows.time_index[selected]],
                        "horizon": settings.horizon.name,
                        "prediction": result.prediction,
                        "confidence": result.confidence,
                        "interval_low": result.interval_low,
                        "interval_high": result.interval_high,
                        "model_version": metadata.version,
                        "forward_return": rows.targets[selected],
                        "label_end": pd.to_datetime(
                            rows.label_end[selected].view("datetime64[ns]")
                        ),
                    }
                )
            )
        if on_period is not None:
            on_period(len(boundaries), len(boundaries))
        if not pieces:
            return empty_forecasts()
        return pd.concat(pieces, ignore_index=True)

    def _calibrator_at(
        self, start: pd.Timestamp, pool: list[Array], rows: FeatureRows
    ) -> tuple[ConfidenceCalibrator, dict[str, float]]:
        """Fit the calibrator on out-of-sample rows whose outcome was known at ``start``."""
        if not pool:
            return ConfidenceCalibrator.uninformed(), {"rows": 0}
        history = np.concatenate(pool)
        index = history[:, 0].astype(np.int64)
        known = (rows.label_end[index] != NOT_A_TIME) & (rows.label_end[index] <= start.value)
        if self.config.calibration_window is not None:
            known &= (
                rows.available_at[index]
                >= (start - pd.Timedelta(self.config.calibration_window)).value
            )
        index, predictions, scores = index[known], history[known, 1], history[known, 2]
        outcomes = rows.targets[index]
        evidence = _out_of_sample_summary(predictions, outcomes)
        if index.size < self.config.calibration.minimum_rows:
            return ConfidenceCalibrator.uninformed(), evidence
        calibrator = ConfidenceCalibrator.fit(
            scores,
            sign_hits(predictions, outcomes),
            outcomes - predictions,
            self.config.calibration,
        )
        return calibrator, evidence


def _out_of_sample_summary(predictions: Array, outcomes: Array) -> dict[str, float]:
    rows = int(predictions.size)
    if rows < 3 or float(np.std(predictions)) == 0.0 or float(np.std(outcomes)) == 0.0:
        return {"rows": rows}
    return {
        "rows": rows,
        "information_coefficient": float(np.corrcoef(predictions, outcomes)[0, 1]),
        "hit_rate": float(sign_hits(predictions, outcomes).mean()),
    }


TRAINING_OPTIONS: tuple[str, ...] = (
    "target",
    "feature_set",
    "validation_fraction",
    "scope",
    "ensemble_members",
    "hyperparameters",
)
"""The training choices given as text by LEAN parameters, environment variables and the
command line (same names; the engine's variables are ``ATS_FORECAST_<NAME>``, with
``ATS_FORECAST_FEATURES`` for ``feature_set``)."""


def training_options(lookup: Callable[[str], str | None]) -> dict[str, Any]:
    """Read :data:`TRAINING_OPTIONS` from a name -> text lookup; blanks keep the defaults.

    The result is keyword arguments of :class:`WalkForwardConfig`, which checks them
    (unknown names and out-of-range values are refused there, naming the allowed values).

    Raises
    ------
    ValueError
        If ``validation_fraction`` is not a number.
    """
    given: dict[str, Any] = {}
    for name in TRAINING_OPTIONS:
        text = lookup(name)
        if text is None or not str(text).strip():
            continue
        value = str(text).strip()
        if name == "validation_fraction":
            try:
                given[name] = float(value)
            except ValueError as error:
                raise ValueError(
                    f"validation_fraction must be a number in [0, 0.5]; got {value!r}"
                ) from error
        elif name == "ensemble_members":
            given[name] = tuple(part.strip() for part in value.split(",") if part.strip())
        else:
            given[name] = value
    return given
