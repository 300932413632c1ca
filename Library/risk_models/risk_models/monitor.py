"""``RiskMonitor``: turns forecasts, prices and portfolio snapshots into risk decisions.

It keeps the measurements (live forecasts, price history, drawdown, forecast
skill) and hands them to a :class:`~risk_models.controller.RiskController`. The
engine process, the LEAN risk model and the evaluation replay all drive this same
object; every method takes the time explicitly.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from risk_models.breakers import DRAWDOWN_LIMIT, RearmRecord
from risk_models.controller import RiskController
from risk_models.decision import RiskDecision
from risk_models.drawdown import DrawdownTracker
from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.promotion import no_live_model_reason
from risk_models.skill import ForecastSkillTracker
from risk_models.volatility import GarchVolatility, VolatilityEstimate, estimate_volatility
from signal_bus.messages import forecast_supersedes


@dataclass(frozen=True)
class RiskMonitorConfig:
    """Settings of the monitor that are not strategy parameters.

    Parameters
    ----------
    bar_seconds
        Prices are sampled onto bars of this length for volatility (the first
        price at or after each bar boundary is kept).
    max_bars
        Prices kept per asset.
    use_garch
        Forecast volatility with GARCH(1,1) in addition to realized volatility.
    """

    bar_seconds: float = 3600.0
    max_bars: int = 2000
    use_garch: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.bar_seconds) and self.bar_seconds > 0.0):
            raise ValueError("bar_seconds must be positive")
        if self.max_bars < 3:
            raise ValueError("max_bars must be at least 3")


@dataclass(frozen=True)
class _LiveForecast:
    prediction: float
    confidence: float
    made_at: datetime
    tradable: bool = True
    model_version: str = ""


class RiskMonitor:
    """Collect risk measurements and evaluate them.

    Parameters
    ----------
    config
        Sampling and model settings.
    controller
        The state machine; a fresh one by default.
    """

    def __init__(
        self, config: RiskMonitorConfig | None = None, controller: RiskController | None = None
    ) -> None:
        self.config = config or RiskMonitorConfig()
        self.controller = controller or RiskController()
        self.drawdown = DrawdownTracker()
        self.skill = ForecastSkillTracker()
        self._forecasts: dict[tuple[str, str], _LiveForecast] = {}
        self._bars: dict[str, deque[tuple[datetime, float]]] = {}
        self._garch: dict[str, GarchVolatility] = {}
        self._last_forecast_at: datetime | None = None
        self._last_market_data_at: datetime | None = None
        self._volatility: dict[str, VolatilityEstimate] = {}
        # Volatility changes only when a bar is added (or a GARCH refit falls due): each
        # asset's estimate is kept with the bar revision and windows it was computed for.
        self._bar_revision: dict[str, int] = {}
        self._estimates: dict[str, tuple[tuple[int, int, int], VolatilityEstimate | None]] = {}

    # ------------------------------------------------------------------ inputs
    def on_forecast(
        self,
        asset: str,
        horizon: str,
        prediction: float,
        confidence: float,
        *,
        made_at: datetime,
        horizon_length: timedelta,
        tradable: bool = True,
        model_version: str = "",
    ) -> None:
        """Record a forecast of ``asset`` over ``horizon`` made at ``made_at``.

        A forecast of a model version that is not live (``tradable`` false) keeps the
        feed fresh but sets no confidence and no skill: nothing trades on it; it never
        displaces a live version's forecast of the same asset and horizon
        (:func:`signal_bus.messages.forecast_supersedes`). While an
        asset's live forecasts are all of that kind, the decision names it with
        :func:`~risk_models.promotion.no_live_model_reason`.
        """
        if not (math.isfinite(prediction) and 0.0 <= confidence <= 1.0):
            raise ValueError("prediction must be finite and confidence in [0, 1]")
        held = self._forecasts.get((asset, horizon))
        if held is None or forecast_supersedes(
            tradable=tradable,
            model_version=model_version,
            held_tradable=held.tradable,
            held_model_version=held.model_version,
        ):
            self._forecasts[(asset, horizon)] = _LiveForecast(
                prediction, confidence, made_at, tradable, model_version
            )
        if tradable:
            self.skill.add_forecast(asset, prediction, made_at=made_at, horizon=horizon_length)
        if self._last_forecast_at is None or made_at > self._last_forecast_at:
            self._last_forecast_at = made_at

    def on_price(self, asset: str, price: float, at: datetime) -> None:
        """Record a market price of ``asset``."""
        if not (math.isfinite(price) and price > 0.0):
            raise ValueError(f"price must be finite and positive; got {price!r}")
        bars = self._bars.setdefault(asset, deque(maxlen=self.config.max_bars))
        bar_length = timedelta(seconds=self.config.bar_seconds)
        if not bars or at >= bars[-1][0] + bar_length:
            bars.append((at, float(price)))
            self._bar_revision[asset] = self._bar_revision.get(asset, 0) + 1
        self.skill.observe_price(asset, price, at)
        self._mark_market_data(at)

    def on_portfolio(self, equity: float, at: datetime) -> float:
        """Record mark-to-market equity; return the drawdown."""
        drawdown = self.drawdown.update(equity, at)
        self._mark_market_data(at)
        return drawdown

    def _mark_market_data(self, at: datetime) -> None:
        if self._last_market_data_at is None or at > self._last_market_data_at:
            self._last_market_data_at = at

    # ------------------------------------------------------------------ evaluation
    def inputs(self, parameters: StrategyParameters, now: datetime) -> RiskInputs:
        """Return the current measurements as :class:`RiskInputs`."""
        ttl = timedelta(seconds=parameters.forecast_ttl_seconds)
        live = [
            f.confidence for f in self._forecasts.values() if f.tradable and f.made_at + ttl >= now
        ]
        score = self.skill.score(parameters.skill_window)
        return RiskInputs(
            confidence=math.fsum(live) / len(live) if live else None,
            drawdown=self.drawdown.drawdown,
            volatility_ratio=self._volatility_ratio(parameters, now),
            skill_hit_rate=score.hit_rate,
            skill_information_coefficient=score.information_coefficient,
            skill_observations=score.observations,
            last_forecast_at=self._last_forecast_at,
            last_market_data_at=self._last_market_data_at,
        )

    def evaluate(self, parameters: StrategyParameters, now: datetime) -> RiskDecision:
        """Measure and decide at ``now``."""
        decision = self.controller.evaluate(self.inputs(parameters, now), parameters, now)
        unmodelled = self.assets_without_live_model(parameters, now)
        if not unmodelled:
            return decision
        return replace(
            decision,
            reasons=(*decision.reasons, *(no_live_model_reason(asset) for asset in unmodelled)),
        )

    def assets_without_live_model(self, parameters: StrategyParameters, now: datetime) -> list[str]:
        """Assets with live forecasts, none of them from a live model version (sorted)."""
        ttl = timedelta(seconds=parameters.forecast_ttl_seconds)
        tradable: set[str] = set()
        untradable: set[str] = set()
        for (asset, _horizon), forecast in self._forecasts.items():
            if forecast.made_at + ttl >= now:
                (tradable if forecast.tradable else untradable).add(asset)
        return sorted(untradable - tradable)

    def rearm(
        self, breaker: str, *, reason: str, by: str, now: datetime, parameters: StrategyParameters
    ) -> RearmRecord:
        """Re-arm a latched breaker; re-arming ``drawdown_limit`` restarts the high-water mark."""
        record = self.controller.rearm(
            breaker, reason=reason, by=by, now=now, parameters=parameters
        )
        if breaker == DRAWDOWN_LIMIT:
            self.drawdown.reset()
        return record

    def volatility(self) -> Mapping[str, VolatilityEstimate]:
        """The latest volatility estimate per asset."""
        return dict(self._volatility)

    def _volatility_ratio(self, parameters: StrategyParameters, now: datetime) -> float | None:
        ratios: list[float] = []
        for asset, bars in self._bars.items():
            if len(bars) < 3:
                continue
            garch = (
                self._garch.setdefault(asset, GarchVolatility()) if self.config.use_garch else None
            )
            key = (
                self._bar_revision.get(asset, 0),
                parameters.volatility_window,
                parameters.volatility_long_run_window,
            )
            cached = self._estimates.get(asset)
            refit_due = garch is not None and garch.refit_due(now, parameters.garch_refit_seconds)
            if cached is not None and cached[0] == key and not refit_due:
                estimate = cached[1]
            else:
                prices = np.array([price for _, price in bars])
                estimate = estimate_volatility(
                    prices[1:] / prices[:-1] - 1.0,
                    window=parameters.volatility_window,
                    long_run_window=parameters.volatility_long_run_window,
                    now=now,
                    refit_seconds=parameters.garch_refit_seconds,
                    garch=garch,
                )
                self._estimates[asset] = (key, estimate)
            if estimate is not None:
                self._volatility[asset] = estimate
                ratios.append(estimate.ratio)
        return max(ratios) if ratios else None

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """Return the state worth keeping across a restart (latches, decision, drawdown)."""
        return {
            "controller": self.controller.to_dict(),
            "drawdown": self.drawdown.to_dict(),
            "last_forecast_at": _iso(self._last_forecast_at),
            "last_market_data_at": _iso(self._last_market_data_at),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], config: RiskMonitorConfig | None = None
    ) -> RiskMonitor:
        """Restore a monitor saved with :meth:`to_dict`."""
        monitor = cls(config, RiskController.from_dict(data.get("controller", {})))
        monitor.drawdown = DrawdownTracker.from_dict(data.get("drawdown", {}))
        monitor._last_forecast_at = _parse(data.get("last_forecast_at"))
        monitor._last_market_data_at = _parse(data.get("last_market_data_at"))
        return monitor


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
