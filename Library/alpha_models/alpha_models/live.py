"""Forecast the newest bars cheaply between retrainings.

A :class:`LiveForecaster` runs the full walk-forward only when a new calendar
period starts (that is when a new model version is due). Within a period it
computes features on a trailing window of bars and forecasts the newest row of
every asset with the period's version and calibrator, the same inference path the
walk-forward uses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.features import (
    FeatureDefinition,
    compute_features,
    default_features,
    definitions_named,
)
from alpha_models.forecast_table import (
    FORECAST_COLUMNS,
    empty_forecasts,
    latest_forecasts,
    with_next_returns,
)
from alpha_models.forecasting import forecast_rows
from alpha_models.models.base import ForecastModel
from alpha_models.registry import ModelRegistry, ModelVersion
from alpha_models.schedule import period_start
from alpha_models.targets import TargetSpec, ex_ante_volatility
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer

DEFAULT_WINDOW_BARS = 200

ForecastGate = Callable[[pd.DataFrame], pd.DataFrame]
"""Adds ``status`` and ``tradable`` columns to a walk-forward table (with ``next_return``)."""


def _tail(panel: BarPanel, bars: int) -> BarPanel:
    return BarPanel(
        open=panel.open.iloc[-bars:],
        high=panel.high.iloc[-bars:],
        low=panel.low.iloc[-bars:],
        close=panel.close.iloc[-bars:],
        volume=panel.volume.iloc[-bars:],
        end_time=panel.end_time.iloc[-bars:],
    )


class LiveForecaster:
    """Forecast the latest bar of every asset; retrain only when a period starts.

    Parameters
    ----------
    config
        Walk-forward settings.
    features
        Feature definitions; the default set when omitted.
    registry
        Where model versions are saved and reused.
    window_bars
        Trailing bars used for features within a period; must cover the longest
        feature window (and, with the ``vol_scaled`` target, be longer than the
        volatility window, so the volatility equals the walk-forward's).
    gate
        The promotion rule (``risk_models.promotion.WalkForwardGate.apply``), run on
        the whole walk-forward when a period starts; the rows returned then carry its
        ``status`` and ``tradable``, and so do the period's later forecasts. Without
        it there are no such columns (every forecast is tradable).
    """

    def __init__(
        self,
        config: WalkForwardConfig | None = None,
        *,
        features: Sequence[FeatureDefinition] | None = None,
        registry: ModelRegistry | None = None,
        window_bars: int = DEFAULT_WINDOW_BARS,
        gate: ForecastGate | None = None,
    ):
        if window_bars < 2:
            raise ValueError("window_bars must be at least 2")
        settings = config or WalkForwardConfig()
        if (
            settings.target_spec.needs_volatility
            and window_bars <= settings.target_volatility_window
        ):
            raise ValueError(
                f"window_bars {window_bars} must exceed the target's volatility window "
                f"{settings.target_volatility_window}"
            )
        self.trainer = WalkForwardTrainer(config, features=features, registry=registry)
        self.window_bars = window_bars
        self.gate = gate
        self._current: tuple[ForecastModel, ModelVersion] | None = None
        self._statuses: dict[str, str] = {}
        self._tradable: dict[str, bool] = {}
        self.full_runs = 0

    @property
    def current_version(self) -> ModelVersion | None:
        """Return the model version used for the current period, if any."""
        return None if self._current is None else self._current[1]

    def use(self, model: ForecastModel, metadata: ModelVersion) -> None:
        """Forecast with a given version (e.g. loaded from a registry) during its period."""
        self._current = (model, metadata)

    def forecast_latest(self, panel: BarPanel) -> pd.DataFrame:
        """Return the forecast of each asset's newest bar (columns of the forecast table)."""
        ends = panel.end_times_ns()
        known = ends[ends != np.iinfo(np.int64).min]
        if known.size == 0:
            return empty_forecasts()
        period = period_start(pd.Timestamp(int(known.max())), self.trainer.config.retrain_frequency)
        if self._current is not None and pd.Timestamp(self._current[1].valid_from) == period:
            return self._with_status(self._forecast_window(panel, *self._current))
        table = self.trainer.run(panel)
        if self.gate is not None and not table.empty:
            table = self.gate(with_next_returns(table, panel)).drop(columns="next_return")
            versions = table["model_version"].astype(str)
            self._statuses = dict(zip(versions, table["status"].astype(str), strict=False))
            self._tradable = dict(zip(versions, table["tradable"].astype(bool), strict=False))
        latest = latest_forecasts(table)
        self.full_runs += 1
        self._current = None
        if not latest.empty:
            newest = latest.sort_values("time", kind="stable").iloc[-1]
            found = self.trainer.trained_version(str(newest["model_version"]))
            if found is not None and pd.Timestamp(found[1].valid_from) == period:
                self._current = found
        return latest

    def forecast_with(
        self, panel: BarPanel, model: ForecastModel, metadata: ModelVersion
    ) -> pd.DataFrame:
        """Forecast each asset's newest bar with a given saved version, whatever its period.

        For a version restored by an operator (a rollback to the previous champion): the
        same trailing-window inference, no retraining; no ``status`` columns.
        """
        return self._forecast_window(panel, model, metadata)

    def _with_status(self, frame: pd.DataFrame) -> pd.DataFrame:
        if self.gate is None or frame.empty:
            return frame
        versions = frame["model_version"].astype(str)
        return frame.assign(
            status=versions.map(self._statuses).fillna("candidate"),
            tradable=versions.map(self._tradable).fillna(False).astype(bool),
        )

    def _definitions(
        self, window: BarPanel, metadata: ModelVersion
    ) -> Sequence[FeatureDefinition] | None:
        """The configured features, unless the version was trained on others (a restored
        version from before a change of feature set): then exactly the version's."""
        configured = self.trainer.definitions_for(window)
        names = tuple(d.name for d in (configured or default_features()))
        if names == tuple(metadata.features):
            return configured
        return definitions_named(metadata.features, asset_count=len(window.assets))

    def _forecast_window(
        self, panel: BarPanel, model: ForecastModel, metadata: ModelVersion
    ) -> pd.DataFrame:
        window = _tail(panel, self.window_bars)
        matrix = compute_features(window, self._definitions(window, metadata))
        complete = matrix.complete_rows()
        target = TargetSpec.of_version(metadata.params)
        volatility = None
        if target.needs_volatility:
            volatility = ex_ante_volatility(window.close.to_numpy(dtype=np.float64), target)
            complete &= volatility > 0
        has_row = complete.any(axis=0)
        if not has_row.any():
            return empty_forecasts()
        last_row = complete.shape[0] - 1 - np.argmax(complete[::-1], axis=0)
        assets = np.flatnonzero(has_row)
        rows = last_row[assets]
        result = forecast_rows(
            model,
            metadata,
            np.ascontiguousarray(matrix.values[rows, assets]),
            volatility=None if volatility is None else volatility[rows, assets],
            assets=np.asarray(matrix.assets, dtype=object)[assets],
        )
        not_a_time = np.full(assets.size, np.iinfo(np.int64).min).view("datetime64[ns]")
        frame = pd.DataFrame(
            {
                "symbol": np.asarray(matrix.assets, dtype=object)[assets],
                "time": pd.to_datetime(matrix.available_at[rows, assets].view("datetime64[ns]")),
                "bar_time": matrix.times[rows],
                "horizon": self.trainer.config.horizon.name,
                "prediction": result.prediction,
                "confidence": result.confidence,
                "interval_low": result.interval_low,
                "interval_high": result.interval_high,
                "model_version": metadata.version,
                "forward_return": np.nan,
                "label_end": pd.to_datetime(not_a_time),
            }
        )
        return frame.loc[:, list(FORECAST_COLUMNS)]
