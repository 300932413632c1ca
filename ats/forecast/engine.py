"""The forecast engine: load the latest bars, retrain when due, publish forecasts.

When a new calendar period has started (and on the first cycle) the engine walks
forward over the whole history with a model registry: versions of past periods are
loaded rather than trained again, the new period's version is trained. Within a
period, later cycles only compute features on a trailing window and predict with
that version (:class:`alpha_models.live.LiveForecaster`). Either way the forecast of
an asset's latest bar is the one ``ats forecast evaluate`` makes for that bar (the
same model version and calibrator; features equal up to floating-point rounding).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.horizon import Horizon
from alpha_models.live import LiveForecaster
from alpha_models.registry import ModelRegistry
from alpha_models.walk_forward import WalkForwardConfig
from ats.forecast.sources import BarRequest, load_bars
from market_data.lean import DATA_TIME_ZONES
from signal_bus import Bus, ForecastUpdate


@dataclass(frozen=True)
class ForecastEngineConfig:
    """What the engine forecasts and where it keeps model versions.

    Parameters
    ----------
    bars
        Which bars to load.
    horizons
        Horizon names to forecast (each must span at least one bar).
    model
        Model kind.
    seed
        Random seed.
    retrain_frequency
        ``"weekly"``, ``"monthly"`` or ``"quarterly"``.
    registry_folder
        Folder of saved model versions.
    """

    bars: BarRequest
    registry_folder: Path
    horizons: tuple[str, ...] = ("1d",)
    model: str = "lightgbm"
    seed: int = 0
    retrain_frequency: str = "monthly"

    def __post_init__(self) -> None:
        if not self.horizons:
            raise ValueError("at least one horizon is needed")
        self.walk_forward_configs()

    def walk_forward_configs(self) -> list[WalkForwardConfig]:
        """Return one validated trainer configuration per horizon."""
        return [
            WalkForwardConfig(
                horizon=Horizon(name),
                resolution=self.bars.resolution,
                hours_per_day=self.bars.hours_per_day,
                model=self.model,
                seed=self.seed,
                retrain_frequency=self.retrain_frequency,
            )
            for name in self.horizons
        ]


@dataclass(frozen=True)
class CycleResult:
    """What one engine cycle did."""

    forecasts: tuple[ForecastUpdate, ...]
    versions_trained: int
    published: bool
    missing: tuple[str, ...] = ()
    """``<asset>:<horizon>`` pairs without a forecast (too little history to train)."""


def _utc(moment: pd.Timestamp, security_type: str) -> dt.datetime:
    zone = DATA_TIME_ZONES.get(security_type, "UTC")
    return pd.Timestamp(moment).tz_localize(zone).tz_convert("UTC").to_pydatetime()


class ForecastEngine:
    """Run forecast cycles and publish ``forecast_updates``.

    Parameters
    ----------
    config
        Engine settings.
    bus
        Where forecasts are published; ``None`` computes them without publishing.
    """

    def __init__(self, config: ForecastEngineConfig, bus: Bus | None):
        self.config = config
        self.bus = bus
        self.registry = ModelRegistry(config.registry_folder)
        self.forecasters = [
            LiveForecaster(settings, registry=self.registry) for settings in config.walk_forward_configs()
        ]

    def run_cycle(self, now: dt.datetime) -> CycleResult:
        """Load bars, retrain when due, forecast the latest bar per asset and horizon, publish.

        Parameters
        ----------
        now
            The current time (UTC); becomes the messages' ``ts_init``.
        """
        panel = BarPanel.from_frames(load_bars(self.config.bars, now=now))
        before = len(self.registry.versions())
        updates: list[ForecastUpdate] = []
        for forecaster in self.forecasters:
            updates.extend(self._updates(forecaster.forecast_latest(panel), now))
        trained = len(self.registry.versions()) - before
        if self.bus is not None:
            for update in updates:
                self.bus.publish(update)
        made = {update.key for update in updates}
        wanted = [f"{asset.upper()}:{horizon}" for horizon in self.config.horizons for asset in panel.assets]
        return CycleResult(
            forecasts=tuple(updates),
            versions_trained=trained,
            published=self.bus is not None,
            missing=tuple(key for key in wanted if key not in made),
        )

    def _updates(self, latest: pd.DataFrame, now: dt.datetime) -> Sequence[ForecastUpdate]:
        updates = []
        for row in latest.to_dict("records"):
            low, high = float(row["interval_low"]), float(row["interval_high"])
            has_interval = math.isfinite(low) and math.isfinite(high)
            updates.append(
                ForecastUpdate.create(
                    asset=str(row["symbol"]).upper(),
                    horizon=str(row["horizon"]),
                    prediction=float(row["prediction"]),
                    confidence=float(row["confidence"]),
                    now=now,
                    ts_event=_utc(pd.Timestamp(row["time"]), self.config.bars.security_type),
                    model=self.config.model,
                    model_version=str(row["model_version"]),
                    interval_low=low if has_interval else None,
                    interval_high=high if has_interval else None,
                )
            )
        return updates
