"""The forecast engine: load the latest bars, retrain when due, publish forecasts.

When a new calendar period has started (and on the first cycle) the engine walks
forward over the whole history with a model registry: versions of past periods are
loaded rather than trained again, the new period's version is trained. Within a
period, later cycles only compute features on a trailing window and predict with
that version (:class:`alpha_models.live.LiveForecaster`). Either way the forecast of
an asset's latest bar is the one ``ats forecast evaluate`` makes for that bar (the
same model version and calibrator; features equal up to floating-point rounding).

Only proven models trade: at each full walk-forward the promotion rule
(:class:`risk_models.promotion.WalkForwardGate`) decides the status of the period's
model version from what was known when the period began, and forecasts carry
``tradable`` only when it is live. A :class:`LifecycleStore` (the backend's model
registry) may overrule that: operators retire, promote and roll back versions there,
and it keeps one champion per asset group and horizon.

Live cycles forecast an asset only when its latest bar is complete and fresh
(:mod:`engines.forecast.freshness`, the configuration's ``freshness``): a stale asset
gets no forecast, the cycle logs why and counts it, and the risk engine's staleness
rule takes over. Bars come from :func:`engines.forecast.sources.load_bars`; the
``database`` source reads through a :class:`~engines.forecast.sources.BarLoader` the
backend injects.

Forecasts are published through an :class:`~signal_bus.outbox.OutboxBus`: while Redis
is unreachable they wait, in order, and the cycle keeps retrying until they are sent
or ``publish_timeout_s`` has passed. If some are still waiting then, the cycle raises
:class:`~signal_bus.errors.TransportConnectionError`; the forecasts stay in the outbox
and the next cycle of the same engine sends them first.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.live import LiveForecaster
from alpha_models.registry import ModelRegistry
from alpha_models.walk_forward import WalkForwardConfig, training_options
from engines.forecast.freshness import (
    FreshnessRule,
    StaleAsset,
    check_freshness,
    freshness_from_environment,
    stale_assets_log,
)
from engines.forecast.messages import forecast_messages
from engines.forecast.sources import BarLoader, BarRequest, load_bars
from risk_models.gates import GateConfig
from risk_models.promotion import Decision, ModelStatus, WalkForwardGate, is_tradable
from signal_bus import Bus, ForecastUpdate, TransportConnectionError
from signal_bus.horizon import Horizon
from signal_bus.outbox import OutboxBus


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
    gated
        Only live model versions' forecasts are tradable (``False``: every forecast is,
        the behaviour before model promotion existed).
    gates
        Thresholds of the promotion gates.
    asset_group
        Name of the assets' group: one champion per group and horizon. Blank: the
        security type and market, e.g. ``equity-usa``.
    training
        Training choices passed to every horizon's ``WalkForwardConfig`` (the names of
        ``alpha_models.walk_forward.TRAINING_OPTIONS``: target, feature set, validation
        slice, scope, ensemble members, hyper-parameters); checked there.
    freshness
        The live freshness rule: assets whose latest complete bar is stale are not
        forecast. ``None`` (the default) forecasts every asset's latest bar whatever its
        age, as a replay of history does; the live entry points set it
        (:func:`config_from_environment`, ``ats forecast run``).
    """

    bars: BarRequest
    registry_folder: Path
    horizons: tuple[str, ...] = ("1d",)
    model: str = "lightgbm"
    seed: int = 0
    retrain_frequency: str = "monthly"
    gated: bool = True
    gates: GateConfig = field(default_factory=GateConfig)
    asset_group: str = ""
    training: Mapping[str, Any] = field(default_factory=dict)
    freshness: FreshnessRule | None = None

    def __post_init__(self) -> None:
        if not self.horizons:
            raise ValueError("at least one horizon is needed")
        self.walk_forward_configs()

    @property
    def group(self) -> str:
        """The asset group's name."""
        return self.asset_group or f"{self.bars.security_type}-{self.bars.market}"

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
                **self.training,
            )
            for name in self.horizons
        ]


PROMOTION_DOCUMENT = "promotion"
"""The registry document holding a version's promotion verdict and whether it trades."""


@dataclass(frozen=True)
class VersionVerdict:
    """The promotion rule's verdict on the model version forecasting now."""

    model: str
    version: str
    asset_group: str
    horizon: str
    decision: Decision
    metrics: Mapping[str, object] = field(default_factory=dict)
    """The version's walk-forward out-of-sample record when it was trained."""


class LifecycleStore(Protocol):
    """Where model versions' statuses are kept and audited (the backend's registry)."""

    def settle(self, verdict: VersionVerdict) -> ModelStatus:
        """Record the rule's verdict and return the status in force for the version."""

    def status_of(self, model: str, version: str) -> ModelStatus | None:
        """The status in force for a version (``None``: the store has never seen it)."""

    def champion(self, asset_group: str, horizon: str) -> tuple[str, str] | None:
        """``(model, version)`` of the live version of a group and horizon, if any."""


@dataclass(frozen=True)
class CycleResult:
    """What one engine cycle did."""

    forecasts: tuple[ForecastUpdate, ...]
    versions_trained: int
    published: bool
    missing: tuple[str, ...] = ()
    """``<asset>:<horizon>`` pairs without a forecast (too little history to train)."""
    buffered: int = 0
    """Forecasts of this cycle that had to wait in the outbox (the bus was unreachable)."""
    stale: tuple[StaleAsset, ...] = ()
    """Assets not forecast because their latest complete bar is stale (or they have none)."""


class ForecastEngine:
    """Run forecast cycles and publish ``forecast_updates``.

    Parameters
    ----------
    config
        Engine settings.
    bus
        Where forecasts are published; ``None`` computes them without publishing.
    publish_timeout_s
        How long a cycle keeps retrying to send forecasts while the bus is unreachable
        (0: one attempt; a long-running caller retries with its next cycle).
    outbox_capacity
        Most forecasts kept waiting while the bus is unreachable.
    lifecycle
        Where statuses are recorded and may be overruled; ``None``: the rule decides.
    bar_loader
        Reads the ``database`` source (the backend's bar table); required for it.
    """

    def __init__(
        self,
        config: ForecastEngineConfig,
        bus: Bus | None,
        *,
        publish_timeout_s: float = 0.0,
        outbox_capacity: int = 100_000,
        lifecycle: LifecycleStore | None = None,
        bar_loader: BarLoader | None = None,
    ):
        if publish_timeout_s < 0:
            raise ValueError("publish_timeout_s must be >= 0")
        self.config = config
        self.bus = bus
        self.publish_timeout_s = publish_timeout_s
        self.outbox: OutboxBus | None = None
        if bus is not None:
            self.outbox = (
                bus if isinstance(bus, OutboxBus) else OutboxBus(bus, capacity=outbox_capacity)
            )
        self.registry = ModelRegistry(config.registry_folder)
        self.lifecycle = lifecycle
        self.bar_loader = bar_loader
        # Per version: the promotion record last written, the out-of-sample record read
        # (cycles within a period would otherwise read and compare the same files again).
        self._recorded: dict[str, dict[str, object]] = {}
        self._out_of_sample: dict[str, dict[str, object]] = {}
        self.gates: list[WalkForwardGate | None] = []
        self.forecasters: list[LiveForecaster] = []
        for settings in config.walk_forward_configs():
            gate = (
                WalkForwardGate(config.gates, horizon_bars=settings.horizon_bars)
                if config.gated
                else None
            )
            self.gates.append(gate)
            self.forecasters.append(
                LiveForecaster(
                    settings,
                    registry=self.registry,
                    gate=None if gate is None else gate.apply,
                )
            )

    def run_cycle(self, now: dt.datetime) -> CycleResult:
        """Load bars, retrain when due, forecast the latest bar per asset and horizon, publish.

        Parameters
        ----------
        now
            The current time (UTC); becomes the messages' ``ts_init``.

        With a freshness rule, bars not closed at ``now`` are dropped and assets whose
        latest bar is stale are not forecast (they still train: their history is valid).
        """
        frames, stale = self._bars(now)
        if not frames:
            return CycleResult(
                forecasts=(), versions_trained=0, published=self.bus is not None, stale=stale
            )
        panel = BarPanel.from_frames(frames)
        skipped = frozenset(item.asset.upper() for item in stale)
        before = len(self.registry.versions())
        updates: list[ForecastUpdate] = []
        for forecaster, gate in zip(self.forecasters, self.gates, strict=True):
            latest = forecaster.forecast_latest(panel)
            if gate is not None:
                horizon = forecaster.trainer.config.horizon.name
                latest = self._settle(latest, gate, horizon)
                latest = self._restored_champion(latest, forecaster, panel, horizon)
            if skipped and not latest.empty:
                latest = latest.loc[~latest["symbol"].astype(str).str.upper().isin(skipped)]
            updates.extend(self._updates(latest, now))
        trained = len(self.registry.versions()) - before
        buffered = self.publish(updates)
        made = {update.key for update in updates}
        wanted = [
            f"{asset.upper()}:{horizon}"
            for horizon in self.config.horizons
            for asset in panel.assets
            if asset.upper() not in skipped
        ]
        return CycleResult(
            forecasts=tuple(updates),
            versions_trained=trained,
            published=self.bus is not None,
            missing=tuple(key for key in wanted if key not in made),
            buffered=buffered,
            stale=stale,
        )

    def _bars(self, now: dt.datetime) -> tuple[dict[str, pd.DataFrame], tuple[StaleAsset, ...]]:
        """Load the cycle's bars; with a freshness rule, keep closed bars and find stale assets."""
        request = self.config.bars
        rule = self.config.freshness
        frames = load_bars(request, now=now, loader=self.bar_loader, allow_empty=rule is not None)
        if rule is None:
            return frames, ()
        checked = check_freshness(
            frames,
            security_type=request.security_type,
            resolution=request.resolution,
            now=now,
            rule=rule,
        )
        stale_assets_log(checked.stale, rule=rule, horizons=",".join(self.config.horizons))
        return checked.frames, checked.stale

    def publish(self, updates: Sequence[ForecastUpdate]) -> int:
        """Publish ``updates`` through the outbox, retrying up to ``publish_timeout_s``.

        Returns
        -------
        int
            How many of them had to wait in the outbox.

        Raises
        ------
        TransportConnectionError
            Messages still wait after ``publish_timeout_s`` (they stay in the outbox).
        """
        if self.outbox is None:
            return 0
        buffered_before = self.outbox.stats.buffered
        for update in updates:
            self.outbox.publish(update)
        if not self.outbox.flush_until_empty(self.publish_timeout_s):
            raise TransportConnectionError(
                f"{self.outbox.pending} messages wait in the outbox: the bus is unreachable"
            )
        return self.outbox.stats.buffered - buffered_before

    def _settle(self, latest: pd.DataFrame, gate: WalkForwardGate, horizon: str) -> pd.DataFrame:
        """Record the rule's verdict on the versions forecasting now; let the store overrule it.

        The verdict is kept in the model registry (``promotion.json``) so a fanned-out
        cycle's groups, which only predict with a saved version, know whether it trades.
        """
        decided = gate.ordered()
        if latest.empty or not decided:
            return latest
        decision = decided[-1].decision
        tradable: dict[str, bool] = {}
        for version in latest["model_version"].astype(str).unique():
            rows = latest["model_version"].astype(str) == version
            allowed = bool(latest.loc[rows, "tradable"].all()) if "tradable" in latest else True
            if self.lifecycle is not None:
                status = self.lifecycle.settle(
                    VersionVerdict(
                        model=self.config.model,
                        version=version,
                        asset_group=self.config.group,
                        horizon=horizon,
                        decision=decision,
                        metrics=self._metrics(version),
                    )
                )
                allowed = is_tradable(status)
            tradable[version] = allowed
            record = {**decision.to_dict(), "tradable": allowed}
            if self._recorded.get(version) != record and self.registry.contains(version):
                if self.registry.document(version, PROMOTION_DOCUMENT) != record:
                    self.registry.save_document(version, PROMOTION_DOCUMENT, record)
                self._recorded[version] = record
        return latest.assign(
            tradable=latest["model_version"].astype(str).map(tradable).astype(bool)
        )

    def _restored_champion(
        self, latest: pd.DataFrame, forecaster: LiveForecaster, panel: BarPanel, horizon: str
    ) -> pd.DataFrame:
        """Forecast with the store's champion when it is an older version of this recipe.

        After an operator's rollback the champion is the previous version, not the one the
        schedule trained for this period: its forecasts are published (tradable) instead
        of the untradable ones of the version it replaced, until the recipe's next refit
        is decided live again.
        """
        if self.lifecycle is None or latest.empty or "tradable" not in latest:
            return latest
        if bool(latest["tradable"].any()):
            return latest
        found = self.lifecycle.champion(self.config.group, horizon)
        if found is None:
            return latest
        model_kind, version = found
        current = set(latest["model_version"].astype(str))
        if model_kind != self.config.model or version in current:
            return latest
        if not self.registry.contains(version):
            return latest
        model, metadata = self.registry.load(version)
        restored = forecaster.forecast_with(panel, model, metadata)
        if restored.empty:
            return latest
        return restored.assign(status=str(ModelStatus.LIVE), tradable=True)

    def _metrics(self, version: str) -> dict[str, object]:
        if version not in self._out_of_sample:
            if not self.registry.contains(version):
                return {}
            self._out_of_sample[version] = dict(self.registry.metadata(version).out_of_sample)
        return self._out_of_sample[version]

    def _updates(self, latest: pd.DataFrame, now: dt.datetime) -> Sequence[ForecastUpdate]:
        return forecast_messages(
            latest, now=now, model=self.config.model, security_type=self.config.bars.security_type
        )


# ---------------------------------------------------------------- scheduled entry points
#
# Celery beat calls these through the backend settings FORECAST_ENGINE_CYCLE and
# FORECAST_ENGINE_RETRAIN (``module:function``), with ``horizon=`` and ``now=``. What to
# forecast comes from the same environment variables as ``ats forecast run``.


SCHEDULED_PUBLISH_TIMEOUT_S = 30.0


def config_from_environment(
    horizon: str, environ: Mapping[str, str] | None = None
) -> ForecastEngineConfig:
    """Build the engine settings for one horizon from the ``ATS_FORECAST_*`` variables."""
    from engines.forecast.sources import parse_symbols

    env = os.environ if environ is None else environ
    data_folder = env.get("ATS_DATA_FOLDER", "").strip()
    source = env.get("ATS_FORECAST_SOURCE", "lean")
    return ForecastEngineConfig(
        bars=BarRequest(
            source=source,
            data_folder=Path(data_folder) if data_folder else None,
            security_type=env.get("ATS_FORECAST_SECURITY_TYPE", "equity"),
            market=env.get("ATS_FORECAST_MARKET", "usa"),
            resolution=env.get("ATS_FORECAST_RESOLUTION", "daily"),
            symbols=parse_symbols(env.get("ATS_FORECAST_SYMBOLS", "")),
            history_days=int(env.get("ATS_FORECAST_HISTORY_DAYS", "730")),
        ),
        registry_folder=Path(env.get("ATS_MODEL_REGISTRY", "artifacts/models")),
        horizons=(horizon,),
        model=env.get("ATS_FORECAST_MODEL", "lightgbm"),
        seed=int(env.get("ATS_FORECAST_SEED", "0")),
        retrain_frequency=env.get("ATS_FORECAST_RETRAIN", "monthly"),
        gated=env.get("ATS_FORECAST_GATED", "true").strip().lower() != "false",
        asset_group=env.get("ATS_FORECAST_ASSET_GROUP", "").strip(),
        training=training_options(
            lambda name: env.get(
                "ATS_FORECAST_FEATURES" if name == "feature_set" else f"ATS_FORECAST_{name.upper()}"
            )
        ),
        freshness=freshness_from_environment(source, env),
    )


def _observed_cycle(engine: ForecastEngine, horizon: str, now: dt.datetime) -> CycleResult:
    from engines.observability.metrics import forecast_cycle_observe

    started = time.monotonic()
    result = engine.run_cycle(now)
    forecast_cycle_observe(
        horizon=horizon,
        duration_seconds=time.monotonic() - started,
        asset_count=len(result.forecasts),
        finished_at=dt.datetime.now(dt.UTC),
    )
    return result


def run_cycle(
    *,
    horizon: str,
    now: dt.datetime,
    lifecycle: LifecycleStore | None = None,
    bar_loader: BarLoader | None = None,
) -> dict[str, object]:
    """Run one forecast cycle for ``horizon`` and publish on the bus from the environment.

    ``lifecycle``: the backend's model registry, which records verdicts and has the last
    word on which version trades. ``bar_loader``: reads the ``database`` source.
    """
    from signal_bus import RedisBus

    with RedisBus.from_environment() as bus:
        # Waits out a short outage; a longer one fails the task, which its scheduler retries.
        engine = ForecastEngine(
            config_from_environment(horizon),
            bus,
            publish_timeout_s=SCHEDULED_PUBLISH_TIMEOUT_S,
            lifecycle=lifecycle,
            bar_loader=bar_loader,
        )
        result = _observed_cycle(engine, horizon, now)
    return {
        "published": len(result.forecasts),
        "versions_trained": result.versions_trained,
        "missing": list(result.missing),
        "stale": [item.to_dict() for item in result.stale],
    }


def retrain(
    *,
    horizon: str,
    now: dt.datetime,
    lifecycle: LifecycleStore | None = None,
    bar_loader: BarLoader | None = None,
) -> dict[str, object]:
    """Train the model version of the period containing ``now`` if it is missing; publish nothing.

    The registry keeps one version per retraining period, so running this ahead of the
    cycles moves the training cost off the forecast path.
    """
    result = ForecastEngine(
        config_from_environment(horizon), None, lifecycle=lifecycle, bar_loader=bar_loader
    ).run_cycle(now)
    return {"versions_trained": result.versions_trained, "missing": list(result.missing)}
