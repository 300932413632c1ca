"""``ForecastSizingPortfolioConstructionModel``: insights to target weights by the sizing rule."""

from __future__ import annotations

from AlgorithmImports import (
    Insight,
    InsightDirection,
    IPortfolioTarget,
    PortfolioConstructionModel,
    PortfolioTarget,
    QCAlgorithm,
    Symbol,
)

from risk_models.lean.signal_feeds import ConfigFeed
from risk_models.settings import StrategySettings
from risk_models.sizing import target_weights
from signal_bus.lean.time_utc import as_utc

NO_ACTIVE_FORECAST_TAG = "no_active_forecast"
_SIGNS = {
    int(InsightDirection.UP): 1.0,
    int(InsightDirection.DOWN): -1.0,
    int(InsightDirection.FLAT): 0.0,
}


class ForecastSizingPortfolioConstructionModel(PortfolioConstructionModel):
    """Size each symbol by its newest active insight with the shared sizing rule.

    Confidence above ``entry_confidence`` targets ``sign × max_allocation`` of equity,
    otherwise the position closes; the book is scaled to ``gross_exposure_cap``. The
    risk factor and breaker states are applied later by the risk management model.
    Every call returns a target for each symbol with an insight or a holding; the
    target's tag is the forecast id (``no_active_forecast`` when a holding is closed
    because its forecast expired), so orders trace back to their forecast.

    Parameters
    ----------
    settings
        The live strategy parameters.
    config_feed
        Pending ``strategy_config`` changes, applied at the start of each call.
    """

    def __init__(self, settings: StrategySettings, config_feed: ConfigFeed | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.config_feed = config_feed
        self._insights: dict[Symbol, Insight] = {}

    def create_targets(
        self, algorithm: QCAlgorithm, insights: list[Insight]
    ) -> list[IPortfolioTarget]:
        """Return portfolio targets (quantities) for the current time step."""
        self._apply_config(algorithm)
        now = as_utc(algorithm.utc_time)
        for insight in insights:
            self._insights[insight.symbol] = insight
        forecasts: dict[str, tuple[float, float]] = {}
        tags: dict[str, str] = {}
        symbols: dict[str, Symbol] = {}
        for symbol, insight in list(self._insights.items()):
            # Insight.cs IsExpired: CloseTimeUtc < utcTime (active at exactly its close).
            if as_utc(insight.close_time_utc) < now:
                del self._insights[symbol]
                continue
            name = str(symbol.value)
            sign = _SIGNS.get(int(insight.direction), 0.0)
            forecasts[name] = (
                sign * float(insight.magnitude or 0.0),
                float(insight.confidence or 0.0),
            )
            tags[name] = str(insight.tag or "")
            symbols[name] = symbol
        portfolio = algorithm.portfolio
        equity = float(portfolio.total_portfolio_value)
        current: dict[str, float] = {}
        for symbol in portfolio.keys():  # noqa: SIM118 - LEAN dictionaries iterate as pairs
            holding = portfolio[symbol]
            if holding.quantity != 0 and equity > 0:
                current[str(symbol.value)] = float(holding.holdings_value) / equity
                symbols.setdefault(str(symbol.value), symbol)
        weights = target_weights(
            forecasts, parameters=self.settings.current, current_weights=current
        )
        targets: list[IPortfolioTarget] = []
        for name, weight in sorted(weights.items()):
            target: IPortfolioTarget | None = PortfolioTarget.percent(
                algorithm, symbols[name], weight, tag=tags.get(name, NO_ACTIVE_FORECAST_TAG)
            )
            if target is None:
                algorithm.log(f"portfolio_target_unavailable symbol={name} weight={weight:.4f}")
                continue
            targets.append(target)
        return targets

    def _apply_config(self, algorithm: QCAlgorithm) -> None:
        if self.config_feed is None:
            return
        for outcome in self.settings.apply_updates(self.config_feed.take_config_changes()):
            algorithm.log(outcome.log_line())
