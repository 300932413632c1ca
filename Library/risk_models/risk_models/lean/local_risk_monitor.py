"""``LocalRiskMonitor``: the risk core run on the algorithm's own equity curve.

Staleness of forecasts and market data is judged elsewhere (forecast time-to-live in
the alpha model, risk-update age in :mod:`risk_combination`), so the local inputs
mark both as observed now. The drawdown is the risk engine's: the same
:class:`~risk_models.drawdown.DrawdownTracker`, and the same re-arm rule (re-arming
``drawdown_limit`` restarts the high-water mark at the current equity, as
:meth:`risk_models.monitor.RiskMonitor.rearm` does), so LEAN and the risk engine latch
and re-arm the breaker alike.
"""

from __future__ import annotations

import math
from datetime import datetime

from risk_models.breakers import DRAWDOWN_LIMIT, RearmRecord
from risk_models.controller import RiskController
from risk_models.decision import RiskDecision
from risk_models.drawdown import DrawdownTracker
from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters


class LocalRiskMonitor:
    """Track the drawdown and evaluate the risk controller on it.

    Parameters
    ----------
    controller
        The risk core; a default one if omitted.
    """

    def __init__(self, controller: RiskController | None = None) -> None:
        self.controller = controller or RiskController()
        self.drawdown = DrawdownTracker()

    def evaluate(
        self, equity: float, now: datetime, parameters: StrategyParameters
    ) -> RiskDecision:
        """Return the local decision for the portfolio value ``equity`` at ``now``.

        A portfolio worth nothing (or not a number) is a total drawdown.
        """
        if math.isfinite(equity) and equity > 0:
            drawdown = self.drawdown.update(equity, now)
        else:
            drawdown = 1.0
        inputs = RiskInputs(drawdown=drawdown, last_forecast_at=now, last_market_data_at=now)
        return self.controller.evaluate(inputs, parameters, now)

    def rearm(self, breaker: str, *, reason: str, by: str, now: datetime) -> RearmRecord:
        """Clear a latched breaker (audited: who and why are required).

        Re-arming ``drawdown_limit`` restarts the high-water mark at the current equity.
        """
        record = self.controller.rearm(breaker, reason=reason, by=by, now=now)
        if breaker == DRAWDOWN_LIMIT:
            self.drawdown.reset()
        return record
