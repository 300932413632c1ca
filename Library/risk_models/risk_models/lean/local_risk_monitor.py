"""``LocalRiskMonitor``: the risk core run on the algorithm's own equity curve.

Staleness of forecasts and market data is judged elsewhere (forecast time-to-live in
the alpha model, risk-update age in :mod:`risk_combination`), so the local inputs
mark both as observed now; the drawdown breaker latches until :meth:`rearm`.
"""

from __future__ import annotations

from datetime import datetime

from risk_models.breakers import RearmRecord
from risk_models.controller import RiskController
from risk_models.decision import RiskDecision
from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters


class LocalRiskMonitor:
    """Track the equity peak and evaluate the risk controller on the drawdown.

    Parameters
    ----------
    controller
        The risk core; a default one if omitted.
    """

    def __init__(self, controller: RiskController | None = None) -> None:
        self.controller = controller or RiskController()
        self.equity_peak = 0.0

    def evaluate(
        self, equity: float, now: datetime, parameters: StrategyParameters
    ) -> RiskDecision:
        """Return the local decision for the portfolio value ``equity`` at ``now``."""
        self.equity_peak = max(self.equity_peak, equity)
        drawdown = (
            0.0 if self.equity_peak <= 0 else min(1.0, max(0.0, 1.0 - equity / self.equity_peak))
        )
        inputs = RiskInputs(drawdown=drawdown, last_forecast_at=now, last_market_data_at=now)
        return self.controller.evaluate(inputs, parameters, now)

    def rearm(self, breaker: str, *, reason: str, by: str, now: datetime) -> RearmRecord:
        """Clear a latched breaker (audited: who and why are required)."""
        return self.controller.rearm(breaker, reason=reason, by=by, now=now)
