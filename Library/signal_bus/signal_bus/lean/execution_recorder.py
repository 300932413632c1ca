"""``ExecutionRecorder``: LEAN order events and portfolio snapshots as bus messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from AlgorithmImports import OrderEvent, QCAlgorithm

from signal_bus.lean.execution_sinks import ExecutionSink
from signal_bus.lean.time_utc import as_utc
from signal_bus.messages import OrderEvent as OrderEventMessage
from signal_bus.messages import PortfolioSnapshot

# LEAN's OrderStatus and OrderDirection enum values, as the bus spells them.
ORDER_STATUS_NAMES = {
    0: "new",
    1: "submitted",
    2: "partially_filled",
    3: "filled",
    5: "canceled",
    6: "none",
    7: "invalid",
    8: "cancel_pending",
    9: "update_submitted",
}
ORDER_DIRECTION_NAMES = {0: "buy", 1: "sell", 2: "hold"}


class ExecutionRecorder:
    """Turn order events and periodic snapshots into ``execution_events`` records.

    Parameters
    ----------
    sink
        Where records go.
    snapshot_interval
        Least time between two portfolio snapshots.
    """

    def __init__(
        self, sink: ExecutionSink, snapshot_interval: timedelta = timedelta(hours=1)
    ) -> None:
        self._sink = sink
        self._snapshot_interval = snapshot_interval
        self._last_snapshot: datetime | None = None
        self._equity_peak = 0.0

    def record_order_event(
        self, algorithm: QCAlgorithm, order_event: OrderEvent
    ) -> OrderEventMessage:
        """Send one order event; its tag (the forecast id) comes from the order."""
        order = algorithm.transactions.get_order_by_id(order_event.order_id)
        tag = "" if order is None else str(order.tag or "")
        quantity = 0.0 if order is None else float(order.quantity)
        message = OrderEventMessage.create(
            order_id=int(order_event.order_id),
            symbol=str(order_event.symbol.value),
            status=ORDER_STATUS_NAMES.get(int(order_event.status), "none"),
            direction=ORDER_DIRECTION_NAMES.get(int(order_event.direction), "hold"),
            quantity=quantity,
            fill_price=abs(float(order_event.fill_price)),
            fill_quantity=float(order_event.fill_quantity),
            tag=tag,
            message=str(order_event.message or ""),
            now=as_utc(algorithm.utc_time),
            ts_event=as_utc(order_event.utc_time),
        )
        self._sink.send(message)
        return message

    def maybe_snapshot(self, algorithm: QCAlgorithm) -> PortfolioSnapshot | None:
        """Send a portfolio snapshot if ``snapshot_interval`` has passed since the last one."""
        now = as_utc(algorithm.utc_time)
        if self._last_snapshot is not None and now - self._last_snapshot < self._snapshot_interval:
            return None
        portfolio = algorithm.portfolio
        equity = float(portfolio.total_portfolio_value)
        self._equity_peak = max(self._equity_peak, equity)
        drawdown = 0.0 if self._equity_peak <= 0 else max(0.0, 1.0 - equity / self._equity_peak)
        holdings = {
            str(symbol.value): float(portfolio[symbol].quantity)
            for symbol in portfolio.keys()  # noqa: SIM118 - LEAN dictionaries iterate as pairs
            if portfolio[symbol].quantity != 0
        }
        snapshot = PortfolioSnapshot.create(
            equity=equity,
            cash=float(portfolio.cash),
            holdings=holdings,
            drawdown=min(1.0, drawdown),
            now=now,
        )
        self._sink.send(snapshot)
        self._last_snapshot = now
        return snapshot
