"""``ForecastAlphaModel``: the latest forecasts as LEAN price insights."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from typing import Protocol

from AlgorithmImports import AlphaModel, Insight, InsightDirection, QCAlgorithm, Slice, Symbol

from alpha_models.lean.forecast_selection import plan_insights, untradable_assets
from alpha_models.lean.forecast_sources import ForecastSource
from signal_bus.lean.time_utc import as_utc, to_exchange_time

_DIRECTIONS = {1: InsightDirection.UP, -1: InsightDirection.DOWN, 0: InsightDirection.FLAT}
MAX_REMEMBERED_FORECASTS = 10_000


class ForecastFilterParameters(Protocol):
    """The strategy parameters the alpha model reads."""

    @property
    def forecast_ttl_seconds(self) -> float:
        """Age after which a forecast is ignored."""

    @property
    def min_prediction_magnitude(self) -> float:
        """Absolute prediction below which the insight is flat."""


class ParameterProvider(Protocol):
    """Gives the current strategy parameters (they change live)."""

    @property
    def current(self) -> ForecastFilterParameters:
        """The parameters in force now."""


class ForecastAlphaModel(AlphaModel):
    """Emit one price insight per new, fresh forecast; never blocks.

    Parameters
    ----------
    source
        Where forecasts come from (inbox, recorded, in-algorithm).
    parameters
        Current ``forecast_ttl_seconds`` and ``min_prediction_magnitude``.
    insight_weight
        The ``weight`` given to every insight.

    Notes
    -----
    Insight: ``Insight.price(symbol, close_time_local, direction, magnitude=|prediction|,
    confidence, source_model="<model>:<version>", weight, tag=<forecast id>)``. The close
    time is absolute: when the forecast's horizon ends (or it goes stale, if sooner), in
    the security's exchange time. A ``timedelta`` period would be counted in trading time
    through the exchange hours (Insight.cs ``ComputeCloseTime``), so 23 wall-clock hours
    would last about three and a half trading days. LEAN moves a close time that falls
    while the market is closed to the next market open (Insight.cs
    ``CloseTimePeriodSpecification``), the first moment anything can trade again.
    Forecasts for assets the algorithm has not subscribed are skipped and counted.

    Forecasts of model versions that are not live (``tradable`` false) never become
    insights. When an asset's latest forecasts are all of that kind, the insights this
    model emitted for it that are still active are cancelled
    (Common/Algorithm/Framework/Alphas/Analysis/InsightManager.cs ``Cancel(symbols)``
    closes them one second before now, Insight.cs ``Expire``), so the portfolio
    construction model closes the position instead of holding it until the old
    insight's horizon ends.
    """

    def __init__(
        self, source: ForecastSource, parameters: ParameterProvider, insight_weight: float = 1.0
    ) -> None:
        super().__init__()
        self.source = source
        self.parameters = parameters
        self.insight_weight = insight_weight
        self.name = "ForecastAlphaModel"
        self.unknown_assets = 0
        self.cancelled_assets = 0
        self._emitted: set[str] = set()
        self._emitted_order: deque[str] = deque()
        self._active_until: dict[str, datetime] = {}

    def update(self, algorithm: QCAlgorithm, data: Slice) -> list[Insight]:
        """Return insights for forecasts that arrived since the last call."""
        now = as_utc(algorithm.utc_time)
        current = self.parameters.current
        forecasts = self.source.latest(now)
        self._cancel_untradable(algorithm, untradable_assets(forecasts, now=now), now)
        plans = plan_insights(
            forecasts,
            now=now,
            time_to_live=timedelta(seconds=current.forecast_ttl_seconds),
            min_magnitude=current.min_prediction_magnitude,
            already_emitted=self._emitted,
        )
        if not plans:
            return []
        securities = algorithm.securities
        symbols: dict[str, Symbol] = {
            str(symbol.value): symbol
            for symbol in securities.keys()  # noqa: SIM118 - LEAN dictionaries iterate as pairs
        }
        insights: list[Insight] = []
        for plan in plans:
            forecast = plan.forecast
            self._remember(forecast.id)
            symbol = symbols.get(forecast.asset)
            if symbol is None:
                self.unknown_assets += 1
                continue
            source_model = f"{forecast.model}:{forecast.model_version}".strip(":") or self.name
            self._active_until[forecast.asset] = max(
                plan.close_time, self._active_until.get(forecast.asset, plan.close_time)
            )
            # NodaTime's DateTimeZone prints as its IANA id ("America/New_York", "UTC").
            time_zone = str(securities[symbol].exchange.time_zone)
            insights.append(
                Insight.price(
                    symbol,
                    to_exchange_time(plan.close_time, time_zone),
                    _DIRECTIONS[plan.direction],
                    abs(forecast.prediction),
                    forecast.confidence,
                    source_model,
                    self.insight_weight,
                    forecast.id,
                )
            )
        return insights

    def _cancel_untradable(self, algorithm: QCAlgorithm, assets: set[str], now: datetime) -> None:
        """Cancel the still-active insights of assets that no live model forecasts."""
        # Insight.cs IsExpired: CloseTimeUtc < utcTime, so an insight is active at its close.
        due = sorted(
            asset
            for asset in assets
            if asset in self._active_until and self._active_until[asset] >= now
        )
        if not due:
            return
        symbols = {
            str(symbol.value): symbol
            for symbol in algorithm.securities.keys()  # noqa: SIM118 - LEAN dictionaries iterate as pairs
        }
        chosen = [symbols[asset] for asset in due if asset in symbols]
        for asset in due:
            del self._active_until[asset]
        if chosen:
            algorithm.insights.cancel(chosen)
            self.cancelled_assets += len(chosen)

    def _remember(self, forecast_id: str) -> None:
        self._emitted.add(forecast_id)
        self._emitted_order.append(forecast_id)
        if len(self._emitted_order) > MAX_REMEMBERED_FORECASTS:
            self._emitted.discard(self._emitted_order.popleft())
