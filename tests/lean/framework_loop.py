"""A faithful, minimal re-enactment of LEAN's framework loop for one time step.

alpha.update -> insights registered (generated time set) -> portfolio construction ->
risk management (its targets override the constructed ones per symbol) -> immediate
execution at the current price, with order events carrying the target's tag.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.lean.fake_lean.algorithm_imports import (
    Insight,
    IPortfolioTarget,
    OrderDirection,
    OrderEvent,
    OrderStatus,
    QCAlgorithm,
    Slice,
    Symbol,
    TradeBar,
)


@dataclass
class StepResult:
    """What one time step produced."""

    insights: list[Insight]
    constructed: list[IPortfolioTarget]
    risk_adjusted: list[IPortfolioTarget]
    final: dict[str, float]
    orders: list[OrderEvent] = field(default_factory=list)


class FrameworkLoop:
    """Drive alpha, portfolio construction and risk management like LEAN does."""

    def __init__(
        self,
        algorithm: QCAlgorithm,
        alpha: Any,
        portfolio_construction: Any,
        risk_management: Any,
        on_order_event: Callable[[OrderEvent], None] | None = None,
    ) -> None:
        self.algorithm = algorithm
        self.alpha = alpha
        self.portfolio_construction = portfolio_construction
        self.risk_management = risk_management
        self.on_order_event = on_order_event
        self._next_order_id = 1

    def step(self, time: datetime, prices: Mapping[str, float]) -> StepResult:
        algorithm = self.algorithm
        algorithm._set_time(time)
        for ticker, price in prices.items():
            algorithm._set_price(Symbol(ticker), price)
        bars = [TradeBar(time, Symbol(t), p, p, p, p, 0.0) for t, p in prices.items()]
        insights = list(self.alpha.update(algorithm, Slice(time, bars, time)))
        for insight in insights:
            algorithm.insights._add(insight)
        constructed = list(self.portfolio_construction.create_targets(algorithm, insights))
        adjusted = list(self.risk_management.manage_risk(algorithm, constructed))
        final_targets = {str(t.symbol): t for t in constructed}
        final_targets.update({str(t.symbol): t for t in adjusted})
        result = StepResult(
            insights,
            constructed,
            adjusted,
            {name: target.quantity for name, target in sorted(final_targets.items())},
        )
        for target in final_targets.values():
            event = self._execute(target, time)
            if event is not None:
                result.orders.append(event)
        return result

    def _execute(self, target: IPortfolioTarget, time: datetime) -> OrderEvent | None:
        algorithm = self.algorithm
        symbol = target.symbol
        delta = target.quantity - algorithm.portfolio[symbol].quantity
        if abs(delta) < 1e-9:
            return None
        price = algorithm.securities[symbol].price
        order_id = self._next_order_id
        self._next_order_id += 1
        algorithm.transactions._add_order(order_id, symbol, delta, target.tag)
        algorithm.portfolio._fill(symbol, delta, price)
        direction = OrderDirection.BUY if delta > 0 else OrderDirection.SELL
        event = OrderEvent(order_id, symbol, time, OrderStatus.FILLED, direction, price, delta)
        if self.on_order_event is not None:
            self.on_order_event(event)
        return event
