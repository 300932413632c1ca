"""``RiskController``: rules, latched breakers and hysteresis turned into a ``RiskDecision``.

The controller is a pure state machine: it is given the measured inputs, the
strategy parameters and the current time, and keeps only its breaker latches,
its state and the re-arm records. Its state serializes to a plain dict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from risk_models.breakers import (
    BREAKER_STATES,
    DRAWDOWN_LIMIT,
    STALE_FORECASTS,
    STALE_MARKET_DATA,
    VOLATILITY_SPIKE,
    BreakerError,
    BreakerTrip,
    RearmRecord,
    breaker_latches,
)
from risk_models.decision import RiskDecision
from risk_models.inputs import RiskInputs
from risk_models.parameters import StrategyParameters
from risk_models.rules import DEFAULT_RULES, RiskRule
from risk_models.states import RiskState

MAX_REARM_RECORDS = 100
STATE_DWELL = "state_dwell"


class RiskController:
    """Decide the risk factor and state from inputs, with latched breakers and hysteresis.

    Parameters
    ----------
    rules
        The rules whose multipliers make up the factor.

    Notes
    -----
    Breakers: ``drawdown_limit`` (drawdown at or above ``drawdown_halt_limit``) halts;
    ``volatility_spike`` (ratio at or above ``volatility_spike_ratio``) reduces; both
    latch until :meth:`rearm`. ``stale_forecasts`` and ``stale_market_data`` reduce
    while inputs are older than allowed (or never seen); they clear by themselves
    when ``auto_clear_stale`` is true and latch otherwise. A move to a less strict
    state waits until ``state_min_dwell_seconds`` have passed in the current state.
    """

    def __init__(self, rules: Sequence[RiskRule] = DEFAULT_RULES) -> None:
        self.rules = tuple(rules)
        self._latched: dict[str, BreakerTrip] = {}
        self._state = RiskState.ACTIVE
        self._state_since: datetime | None = None
        self._rearms: list[RearmRecord] = []
        self._last_decision: RiskDecision | None = None

    @property
    def state(self) -> RiskState:
        """The current state."""
        return self._state

    @property
    def latched(self) -> Mapping[str, BreakerTrip]:
        """Tripped breakers waiting for a re-arm, by name."""
        return dict(self._latched)

    @property
    def rearms(self) -> tuple[RearmRecord, ...]:
        """Recorded re-arms, oldest first (the most recent :data:`MAX_REARM_RECORDS`)."""
        return tuple(self._rearms)

    @property
    def last_decision(self) -> RiskDecision | None:
        """The most recent decision, if any."""
        return self._last_decision

    def evaluate(
        self, inputs: RiskInputs, parameters: StrategyParameters, now: datetime
    ) -> RiskDecision:
        """Return the decision for ``inputs`` at ``now`` and update the state.

        Raises
        ------
        ValueError
            If ``now`` is not timezone-aware.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        factor = 1.0
        reasons: list[str] = []
        measured: dict[str, float] = {}
        for rule in self.rules:
            outcome = rule.evaluate(inputs, parameters)
            factor *= outcome.multiplier
            measured.update(outcome.inputs)
            if outcome.reason is not None:
                reasons.append(outcome.reason)

        conditions = self._breaker_conditions(inputs, parameters, now, measured)
        for name, tripped in conditions.items():
            latches = breaker_latches(name, auto_clear_stale=parameters.auto_clear_stale)
            if tripped and latches and name not in self._latched:
                self._latched[name] = BreakerTrip(name, now, dict(measured))
        active_breakers = [
            name for name in BREAKER_STATES if conditions[name] or name in self._latched
        ]
        reasons.extend(active_breakers)

        target = max(
            (BREAKER_STATES[name] for name in active_breakers),
            key=lambda state: state.severity,
            default=RiskState.ACTIVE,
        )
        state = self._apply_dwell(target, parameters, now, reasons)
        if state is not self._state or self._state_since is None:
            self._state, self._state_since = state, now
        measured["state_seconds"] = (now - self._state_since).total_seconds()

        factor = 0.0 if state is RiskState.HALTED else min(1.0, max(0.0, factor))
        decision = RiskDecision(factor, state, tuple(reasons), measured, now)
        self._last_decision = decision
        return decision

    def rearm(
        self,
        breaker: str,
        *,
        reason: str,
        by: str,
        now: datetime,
        parameters: StrategyParameters | None = None,
    ) -> RearmRecord:
        """Clear a latched breaker and record who did it and why.

        Parameters
        ----------
        breaker
            Name of the tripped breaker (see :meth:`latched`).
        reason, by
            Why, and who re-arms; both required.
        now
            When.
        parameters
            Used to refuse re-arming ``volatility_spike`` while the last measured
            ratio is still at or above ``volatility_clear_ratio``.

        Raises
        ------
        BreakerError
            If the breaker is unknown or not tripped, ``reason``/``by`` is empty, or
            the volatility has not fallen below its clear level.
        """
        if breaker not in BREAKER_STATES:
            raise BreakerError(
                f"unknown breaker {breaker!r}; expected one of {', '.join(BREAKER_STATES)}"
            )
        if not reason.strip() or not by.strip():
            raise BreakerError("a re-arm needs a reason and who re-arms")
        trip = self._latched.get(breaker)
        if trip is None:
            raise BreakerError(f"breaker {breaker!r} is not tripped")
        if (
            breaker == VOLATILITY_SPIKE
            and parameters is not None
            and self._last_decision is not None
        ):
            ratio = self._last_decision.inputs.get("volatility_ratio")
            if ratio is not None and ratio >= parameters.volatility_clear_ratio:
                raise BreakerError(
                    f"volatility ratio {ratio:.2f} is still at or above volatility_clear_ratio "
                    f"{parameters.volatility_clear_ratio:.2f}"
                )
        del self._latched[breaker]
        record = RearmRecord(breaker, reason.strip(), by.strip(), now, trip)
        self._rearms = [*self._rearms, record][-MAX_REARM_RECORDS:]
        return record

    def _breaker_conditions(
        self,
        inputs: RiskInputs,
        parameters: StrategyParameters,
        now: datetime,
        measured: dict[str, float],
    ) -> dict[str, bool]:
        conditions = dict.fromkeys(BREAKER_STATES, False)
        if inputs.drawdown is not None:
            measured["drawdown"] = inputs.drawdown
            conditions[DRAWDOWN_LIMIT] = inputs.drawdown >= parameters.drawdown_halt_limit
        if inputs.volatility_ratio is not None:
            measured["volatility_ratio"] = inputs.volatility_ratio
            conditions[VOLATILITY_SPIKE] = (
                inputs.volatility_ratio >= parameters.volatility_spike_ratio
            )
        for name, moment, allowed, label in (
            (
                STALE_FORECASTS,
                inputs.last_forecast_at,
                parameters.stale_forecast_seconds,
                "forecast",
            ),
            (
                STALE_MARKET_DATA,
                inputs.last_market_data_at,
                parameters.stale_market_data_seconds,
                "market_data",
            ),
        ):
            if moment is None:
                conditions[name] = True
                continue
            age = max(0.0, (now - moment).total_seconds())
            measured[f"{label}_age_seconds"] = age
            conditions[name] = age > allowed
        return conditions

    def _apply_dwell(
        self,
        target: RiskState,
        parameters: StrategyParameters,
        now: datetime,
        reasons: list[str],
    ) -> RiskState:
        if target.severity >= self._state.severity or self._state_since is None:
            return target
        if (now - self._state_since).total_seconds() < parameters.state_min_dwell_seconds:
            reasons.append(STATE_DWELL)
            return self._state
        return target

    def to_dict(self) -> dict[str, Any]:
        """Return the controller's state as a JSON-ready dict."""
        return {
            "state": self._state.value,
            "state_since": None if self._state_since is None else self._state_since.isoformat(),
            "latched": [trip.to_dict() for trip in self._latched.values()],
            "rearms": [record.to_dict() for record in self._rearms],
            "last_decision": None if self._last_decision is None else self._last_decision.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], rules: Sequence[RiskRule] = DEFAULT_RULES
    ) -> RiskController:
        """Restore a controller saved with :meth:`to_dict`."""
        controller = cls(rules)
        controller._state = RiskState(data.get("state", RiskState.ACTIVE.value))
        since = data.get("state_since")
        controller._state_since = None if since is None else datetime.fromisoformat(since)
        for item in data.get("latched", ()):
            trip = BreakerTrip.from_dict(item)
            controller._latched[trip.breaker] = trip
        controller._rearms = [RearmRecord.from_dict(item) for item in data.get("rearms", ())]
        last = data.get("last_decision")
        controller._last_decision = None if last is None else RiskDecision.from_dict(last)
        return controller
