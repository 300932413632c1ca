"""``RiskEngine``: the long-running process behind ``ats risk run``.

Consumes ``forecast_updates``, ``execution_events`` (portfolio snapshots, order
fills) and ``strategy_config`` through consumer groups, evaluates the
:class:`~risk_models.monitor.RiskMonitor` on every input and on a timer, publishes
``risk_updates`` and saves its state (breaker latches, last decision, drawdown,
parameters) after every change, restoring it on start.

Operators re-arm a latched breaker with a ``strategy_config`` message whose key is
``risk.rearm`` and whose value is ``{"breaker": ..., "reason": ..., "by": ...}`` (or
just the breaker name, with ``changed_by``/``reason`` of the message), as the
backend's audited re-arm publishes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from engines.observability.consumers import ConsumerMetricsReporter
from engines.observability.metrics import (
    messages_processed_add,
    publish_to_consume_latency_observe,
    risk_decision_record,
)
from engines.risk.state_store import MemoryStateStore, StateStore
from risk_models.breakers import BreakerError
from risk_models.decision import RiskDecision
from risk_models.monitor import RiskMonitor, RiskMonitorConfig
from risk_models.parameters import PARAMETER_SPECS, StrategyParameters
from risk_models.settings import ConfigOutcome, StrategySettings
from signal_bus.bus import Bus
from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, STRATEGY_CONFIG
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.horizon import Horizon
from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)
from signal_bus.outbox import OutboxBus

_log = logging.getLogger(__name__)


class PriceFeed(Protocol):
    """A source of market prices for the volatility estimate."""

    def poll(self, now: datetime) -> list[tuple[str, float, datetime]]:
        """Return ``(symbol, price, time)`` observations not returned before."""


REARM_KEY = "risk.rearm"
METRICS_COMPONENT = "risk-engine"
INPUT_CHANNELS = (FORECAST_UPDATES, EXECUTION_EVENTS, STRATEGY_CONFIG)


@dataclass(frozen=True)
class RiskEngineConfig:
    """Settings of the engine process (strategy parameters come from ``strategy_config``).

    Parameters
    ----------
    group
        Consumer group name on each input channel.
    consumer
        This process's consumer name.
    tick_seconds
        Evaluation timer, so stale inputs are noticed when nothing arrives.
    heartbeat_seconds
        On the timer, an unchanged decision is republished this often (LEAN treats
        risk updates older than ``stale_risk_update_seconds`` as stale).
    block_ms
        Longest blocking read per consumer cycle.
    max_handler_failures
        A message whose handling fails this many times is dead-lettered.
    handler_retry_delay_s
        Wait before a failed message is handled again.
    price_poll_seconds
        How often the price feed (if any) is polled.
    monitor
        Price sampling and volatility model settings.
    """

    group: str = "risk-engine"
    consumer: str = "risk-engine-1"
    tick_seconds: float = 5.0
    heartbeat_seconds: float = 60.0
    block_ms: int = 1000
    max_handler_failures: int = 3
    handler_retry_delay_s: float = 1.0
    price_poll_seconds: float = 60.0
    monitor: RiskMonitorConfig = field(default_factory=RiskMonitorConfig)

    def __post_init__(self) -> None:
        if not self.group or not self.consumer:
            raise ValueError("group and consumer must not be empty")
        if self.tick_seconds <= 0 or self.heartbeat_seconds <= 0:
            raise ValueError("tick_seconds and heartbeat_seconds must be positive")
        if self.price_poll_seconds <= 0 or self.handler_retry_delay_s < 0:
            raise ValueError("price_poll_seconds must be positive, handler_retry_delay_s >= 0")
        if self.block_ms < 0 or self.max_handler_failures < 1:
            raise ValueError("block_ms must be >= 0 and max_handler_failures >= 1")


def _rearm_request(message: StrategyConfigUpdate) -> tuple[str, str, str]:
    value = message.value
    if isinstance(value, str):
        return value, message.reason, message.changed_by
    if isinstance(value, Mapping) and isinstance(value.get("breaker"), str):
        reason = value.get("reason") or message.reason
        by = value.get("by") or message.changed_by
        return value["breaker"], str(reason), str(by)
    raise ValueError(f"{REARM_KEY} value must be a breaker name or an object with 'breaker'")


def _log_outcome(outcome: ConfigOutcome) -> None:
    if outcome.accepted:
        _log.info("%s", outcome.log_line())
    else:
        _log.warning("%s", outcome.log_line())


def horizon_length(horizon: str) -> timedelta:
    """Return the length of a horizon such as ``"4h"`` (:class:`Horizon` refuses others)."""
    return Horizon(horizon).duration


class RiskEngine:
    """Turn bus inputs into published risk decisions.

    Parameters
    ----------
    bus
        The signal bus (Redis or in-memory).
    config
        Process settings.
    clock
        Returns the current UTC time; injected so tests control time.
    state_store
        Where state is saved; in memory by default.
    parameters
        Starting strategy parameters (overridden by saved ones and by ``strategy_config``).
    price_feed
        Market prices for volatility and forecast skill (fills are used as well).
    outbox_capacity
        Most risk updates kept while the bus is unreachable (when ``bus`` is not an
        :class:`~signal_bus.outbox.OutboxBus` already).
    """

    def __init__(
        self,
        bus: Bus,
        config: RiskEngineConfig,
        *,
        clock: Callable[[], datetime],
        state_store: StateStore | None = None,
        parameters: StrategyParameters | None = None,
        price_feed: PriceFeed | None = None,
        outbox_capacity: int = 10_000,
    ) -> None:
        self.bus = bus
        self.outbox = (
            bus if isinstance(bus, OutboxBus) else OutboxBus(bus, capacity=outbox_capacity)
        )
        self._state_unsaved = False
        self._saved_key: tuple[Any, ...] | None = None
        self._price_feed = price_feed
        self._prices_polled_at: datetime | None = None
        self.config = config
        self._clock = clock
        self._store = state_store or MemoryStateStore()
        self._lock = threading.RLock()
        self.settings = StrategySettings(parameters or StrategyParameters())
        self.monitor = RiskMonitor(config.monitor)
        self._published: RiskDecision | None = None
        self._published_at: datetime | None = None
        self.consumers = [
            GroupConsumer(
                bus,
                GroupConsumerConfig(
                    channel=channel,
                    group=config.group,
                    consumer=config.consumer,
                    block_ms=config.block_ms,
                    max_handler_failures=config.max_handler_failures,
                    handler_retry_delay_s=config.handler_retry_delay_s,
                ),
                handler=self.handle,
            )
            for channel in INPUT_CHANNELS
        ]
        # Processed messages are counted by ``handle`` as each one is applied.
        self.consumer_metrics = ConsumerMetricsReporter(
            component=METRICS_COMPONENT,
            group=config.group,
            consumers=self.consumers,
            count_processed=False,
        )
        self._restore()

    @property
    def parameters(self) -> StrategyParameters:
        """The strategy parameters in force (changed through :attr:`settings`)."""
        return self.settings.current

    @parameters.setter
    def parameters(self, value: StrategyParameters) -> None:
        self.settings.replace_all(value)

    # ------------------------------------------------------------------ state
    def _restore(self) -> None:
        saved = self._store.load()
        if saved is None:
            return
        self.monitor = RiskMonitor.from_dict(saved.get("monitor", {}), self.config.monitor)
        self.parameters = StrategyParameters.from_mapping(
            saved.get("parameters", {}), ignore_unknown=True
        )
        _log.info("risk_engine_restored latched=%s", sorted(self.monitor.controller.latched))

    def _durable_key(self) -> tuple[Any, ...]:
        """What must never be lost in a crash: latches, re-arms, state, decision, peak, parameters.

        Freshness times (last forecast, last market data, the decision's own time) and the
        latest equity are left out: they change on nearly every input and are saved on the
        timer, so a crash loses at most ``tick_seconds`` of them (an older last forecast on
        restart only makes the staleness check more cautious).
        """
        controller, decision = self.monitor.controller, self.monitor.controller.last_decision
        return (
            controller.state,
            tuple(sorted(controller.latched)),
            len(controller.rearms),
            None if decision is None else (decision.state, decision.risk_factor, decision.reasons),
            self.monitor.drawdown.high_water_mark,
            self.parameters,
        )

    def _save_if_durable_change(self) -> None:
        """Save now if something durable changed, otherwise leave the save to the timer."""
        if self._durable_key() != self._saved_key:
            self._save()
        else:
            self._state_unsaved = True

    def _save(self) -> None:
        key = self._durable_key()
        try:
            self._store.save(
                {"monitor": self.monitor.to_dict(), "parameters": self.parameters.as_dict()}
            )
        except Exception as error:  # the store is unreachable: keep the state, retry on tick
            self._state_unsaved = True
            _log.warning("risk_state_save_failed error=%s", error)
            return
        self._state_unsaved = False
        self._saved_key = key

    @property
    def last_decision(self) -> RiskDecision | None:
        """The most recent decision."""
        return self.monitor.controller.last_decision

    # ------------------------------------------------------------------ inputs
    def handle(self, message: Message) -> None:
        """Apply one input message, evaluate, publish and save.

        Raises
        ------
        ValueError
            If the message is valid on the bus but not usable here (e.g. a strategy
            parameter out of range); the consumer retries, then dead-letters it.
        """
        with self._lock:
            if isinstance(message, ForecastUpdate):
                self.monitor.on_forecast(
                    message.asset,
                    message.horizon,
                    message.prediction,
                    message.confidence,
                    made_at=message.ts_event,
                    horizon_length=horizon_length(message.horizon),
                    tradable=message.tradable,
                    model_version=message.model_version,
                )
            elif isinstance(message, PortfolioSnapshot):
                self.monitor.on_portfolio(message.equity, message.ts_event)
            elif isinstance(message, OrderEvent):
                if message.fill_price > 0.0:
                    self.monitor.on_price(message.symbol, message.fill_price, message.ts_event)
            elif isinstance(message, StrategyConfigUpdate):
                self._apply_config(message)
            else:
                return
            consumed_at = self._clock()
            self._evaluate_and_publish(force=True)
            # Metrics after publishing: they are not on the path to the risk update.
            publish_to_consume_latency_observe(
                component=METRICS_COMPONENT,
                channel=message.channel,
                published_at=message.ts_init,
                consumed_at=consumed_at,
            )
            messages_processed_add(component=METRICS_COMPONENT, channel=message.channel)

    def _apply_config(self, message: StrategyConfigUpdate) -> None:
        if message.key == REARM_KEY:
            breaker, reason, by = _rearm_request(message)
            try:
                record = self.monitor.rearm(
                    breaker, reason=reason, by=by, now=self._clock(), parameters=self.parameters
                )
            except BreakerError as error:
                _log.warning("risk_rearm_refused breaker=%s error=%s", breaker, error)
                return
            _log.info(
                "risk_rearmed breaker=%s by=%s reason=%s", record.breaker, record.by, record.reason
            )
            return
        # The same settings object LEAN's models use: a refused value keeps the old one
        # and is logged with the allowed range, never raised (nor dead-lettered).
        for outcome in self.settings.apply_updates([message]):
            _log_outcome(outcome)

    def apply_current_config(self) -> int:
        """Apply the current ``strategy_config`` last values (oldest version first); return how many."""
        updates = [
            message
            for message in self.bus.last_values(STRATEGY_CONFIG).values()
            if isinstance(message, StrategyConfigUpdate) and message.key in PARAMETER_SPECS
        ]
        with self._lock:
            outcomes = self.settings.apply_updates(sorted(updates, key=lambda u: u.version))
            for outcome in outcomes:
                _log_outcome(outcome)
            self._save()
        return sum(outcome.accepted for outcome in outcomes)

    # ------------------------------------------------------------------ evaluation
    def tick(self) -> RiskDecision:
        """Evaluate on the timer; publish if the decision changed or a heartbeat is due."""
        with self._lock:
            self._poll_prices()
            self.consumer_metrics.report()
            self.outbox.flush()
            decision = self._evaluate_and_publish(force=False)
            if self._state_unsaved:
                self._save()
            return decision

    def _poll_prices(self) -> None:
        if self._price_feed is None:
            return
        now = self._clock()
        due = self._prices_polled_at is None or (
            (now - self._prices_polled_at).total_seconds() >= self.config.price_poll_seconds
        )
        if not due:
            return
        self._prices_polled_at = now
        try:
            points = self._price_feed.poll(now)
        except Exception as error:  # a broken feed must not stop the engine
            _log.warning("risk_price_feed_failed error=%s", error)
            return
        for symbol, price, moment in points:
            self.monitor.on_price(symbol, price, moment)

    def _evaluate_and_publish(self, *, force: bool) -> RiskDecision:
        now = self._clock()
        decision = self.monitor.evaluate(self.parameters, now)
        changed = self._published is None or (
            decision.state,
            decision.risk_factor,
            decision.reasons,
        ) != (self._published.state, self._published.risk_factor, self._published.reasons)
        heartbeat_due = self._published_at is None or (
            (now - self._published_at).total_seconds() >= self.config.heartbeat_seconds
        )
        if force or changed or heartbeat_due:
            self.outbox.publish(
                RiskUpdate.create(
                    risk_factor=decision.risk_factor,
                    now=now,
                    state=decision.state.value,
                    reasons=decision.reasons,
                    inputs=dict(decision.inputs),
                )
            )
            self._published, self._published_at = decision, now
        risk_decision_record(risk_factor=decision.risk_factor, state=decision.state.value)
        if force or changed:
            self._save_if_durable_change()
        return decision

    # ------------------------------------------------------------------ running
    def run_once(self) -> int:
        """Run one cycle of every consumer, then the timer; return messages processed."""
        processed = sum(consumer.run_once() for consumer in self.consumers)
        self.tick()
        return processed

    def run_forever(self, stop: threading.Event) -> None:
        """Consume on one thread per channel and tick on this one until ``stop`` is set."""
        self.apply_current_config()
        self.tick()
        threads = [
            threading.Thread(
                target=consumer.run_forever,
                args=(stop,),
                name=f"risk-engine-{consumer.config.channel}",
                daemon=True,
            )
            for consumer in self.consumers
        ]
        for thread in threads:
            thread.start()
        try:
            while not stop.wait(self.config.tick_seconds):
                try:
                    self.tick()
                except Exception:
                    _log.exception("risk_engine_tick_failed")
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=5.0)

    def status(self) -> dict[str, Any]:
        """Return the current state for display."""
        with self._lock:
            decision = self.last_decision
            return {
                "decision": None if decision is None else decision.to_dict(),
                "latched": {
                    name: trip.to_dict() for name, trip in self.monitor.controller.latched.items()
                },
                "rearms": [record.to_dict() for record in self.monitor.controller.rearms],
                "outbox": vars(self.outbox.stats),
                "consumers": {
                    consumer.config.channel: vars(consumer.stats) for consumer in self.consumers
                },
            }
