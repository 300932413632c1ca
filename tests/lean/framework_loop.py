"""One framework time step at a time, for unit tests of the adapters.

alpha.update -> insights initialized as LEAN does (generated time, close time through the
security's exchange hours) -> portfolio construction -> risk management (its targets
override the constructed ones per symbol, QCAlgorithm.Framework.cs ProcessInsights) ->
execution at the step's price, with order events carrying the target's tag.

Fills here are immediate at the given price, so tests can read positions right after a
step; the securities should be added with ``always_open_market`` so that no LEAN rule
would have delayed the order. Exchange hours, market-on-open conversion and fills as
LEAN makes them are modelled by ``lean_model.engine`` and tested end to end there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.lean.lean_model.algorithm_imports import (
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
            algorithm._initialize_insight(insight)
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
        algorithm.transactions._add_order(
            order_id, symbol, delta, target.tag
        )._status = OrderStatus.FILLED
        algorithm.portfolio._fill(symbol, delta, price)
        direction = OrderDirection.BUY if delta > 0 else OrderDirection.SELL
        event = OrderEvent(order_id, symbol, time, OrderStatus.FILLED, direction, price, delta)
        if self.on_order_event is not None:
            self.on_order_event(event)
        return event


def always_open_market(algorithm: QCAlgorithm) -> None:
    """Give equities added afterwards a market that never closes (crypto's hours)."""
    from tests.lean.lean_model.algorithm_imports import SecurityType
    from tests.lean.lean_model.market_hours import CRYPTO

    algorithm._default_hours[SecurityType.EQUITY] = CRYPTO
