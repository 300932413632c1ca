"""``AdaptiveRiskManagementModel``: risk factor and breaker states applied to targets."""

from __future__ import annotations

from datetime import datetime

from AlgorithmImports import (
    IPortfolioTarget,
    PortfolioTarget,
    QCAlgorithm,
    RiskManagementModel,
    Symbol,
)

from risk_models.breakers import RearmRecord
from risk_models.lean.local_risk_monitor import LocalRiskMonitor
from risk_models.lean.risk_combination import EffectiveRisk, combine_risk
from risk_models.lean.signal_feeds import RiskFeed
from risk_models.settings import StrategySettings
from risk_models.sizing import limit_to_current
from risk_models.states import RiskState
from signal_bus.lean.time_utc import as_utc

HALTED_TAG = "risk_halted"


class AdaptiveRiskManagementModel(RiskManagementModel):
    """Scale targets by the smaller of the remote and local risk factors; enforce states.

    ``halted``: every target and every holding goes to 0 and the symbols' insights are
    cancelled. ``reducing``: no target may grow a position or flip its side. When a
    risk engine is expected but its updates are missing or stale, the factor is capped
    at ``conservative_risk_factor``. The local drawdown breaker stays latched until
    :meth:`rearm`.

    Parameters
    ----------
    settings
        The live strategy parameters.
    risk_feed
        The risk engine's updates (``None``: no risk engine, local estimate only).
    monitor
        The local estimate; a default one if omitted.
    """

    def __init__(
        self,
        settings: StrategySettings,
        risk_feed: RiskFeed | None = None,
        monitor: LocalRiskMonitor | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.risk_feed = risk_feed
        self.monitor = monitor or LocalRiskMonitor()
        self.last_risk: EffectiveRisk | None = None

    def manage_risk(
        self, algorithm: QCAlgorithm, targets: list[IPortfolioTarget]
    ) -> list[IPortfolioTarget]:
        """Return the risk-adjusted targets; they replace the constructed ones."""
        now = as_utc(algorithm.utc_time)
        parameters = self.settings.current
        local = self.monitor.evaluate(
            float(algorithm.portfolio.total_portfolio_value), now, parameters
        )
        remote = None if self.risk_feed is None else self.risk_feed.risk()
        risk = combine_risk(
            remote,
            local,
            now=now,
            parameters=parameters,
            remote_expected=self.risk_feed is not None,
        )
        if self.last_risk is None or (risk.state, risk.factor) != (
            self.last_risk.state,
            self.last_risk.factor,
        ):
            algorithm.log(
                f"risk_changed state={risk.state.value} factor={risk.factor:.3f} "
                f"reasons={','.join(risk.reasons) or '-'}"
            )
        self.last_risk = risk
        if risk.state is RiskState.HALTED:
            return self._flatten(algorithm, targets)
        adjusted: list[IPortfolioTarget] = []
        for target in targets:
            quantity = float(target.quantity) * risk.factor
            if risk.state is RiskState.REDUCING:
                quantity = limit_to_current(
                    quantity, float(algorithm.portfolio[target.symbol].quantity)
                )
            adjusted.append(PortfolioTarget(target.symbol, quantity, target.tag))
        return adjusted

    def rearm(self, breaker: str, *, reason: str, by: str, now: datetime) -> RearmRecord:
        """Clear a latched local breaker; who and why are required and recorded."""
        return self.monitor.rearm(breaker, reason=reason, by=by, now=now)

    def _flatten(
        self, algorithm: QCAlgorithm, targets: list[IPortfolioTarget]
    ) -> list[IPortfolioTarget]:
        symbols: dict[str, Symbol] = {str(target.symbol.value): target.symbol for target in targets}
        portfolio = algorithm.portfolio
        for symbol in portfolio.keys():  # noqa: SIM118 - LEAN dictionaries iterate as pairs
            if portfolio[symbol].quantity != 0:
                symbols.setdefault(str(symbol.value), symbol)
        if symbols:
            algorithm.insights.cancel(list(symbols.values()))
        return [PortfolioTarget(symbol, 0, HALTED_TAG) for _, symbol in sorted(symbols.items())]
