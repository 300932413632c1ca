"""Message contracts: immutable, validated facts with a common envelope.

Every message carries ``type``, ``schema_version``, ``id``, ``ts_event`` (when the
fact became true) and ``ts_init`` (when the message was created), both UTC. Each
has a ``key`` naming the thing it describes; the bus keeps the last value per key.
Construction validates every field and raises
:class:`~signal_bus.errors.MessageValidationError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

from signal_bus.channels import EXECUTION_EVENTS, FORECAST_UPDATES, RISK_UPDATES, STRATEGY_CONFIG
from signal_bus.errors import MessageValidationError
from signal_bus.validation import (
    optional_number,
    require_choice,
    require_flag,
    require_horizon,
    require_integer,
    require_json_value,
    require_name,
    require_non_negative,
    require_number,
    require_number_mapping,
    require_reasons,
    require_text,
    require_timestamp,
    require_unit_interval,
    thaw_json_value,
)

SCHEMA_VERSION = 1

RISK_STATES: tuple[str, ...] = ("active", "reducing", "halted")
ORDER_STATUSES: tuple[str, ...] = (
    "new",
    "submitted",
    "partially_filled",
    "filled",
    "canceled",
    "none",
    "invalid",
    "cancel_pending",
    "update_submitted",
)
ORDER_DIRECTIONS: tuple[str, ...] = ("buy", "sell", "hold")

_EMPTY_NUMBERS: Mapping[str, float] = MappingProxyType({})


def _empty_numbers() -> Mapping[str, float]:
    return _EMPTY_NUMBERS


def new_message_id() -> str:
    """Return a fresh random message id."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """The envelope every message shares.

    Attributes
    ----------
    id
        Unique message id.
    ts_event
        When the fact became true (UTC).
    ts_init
        When the message was created (UTC).
    schema_version
        Version of the payload schema, ``>= 1``.
    """

    message_type: ClassVar[str] = ""
    channel: ClassVar[str] = ""

    id: str
    ts_event: datetime
    ts_init: datetime
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if type(self) is Message:
            raise TypeError("Message is abstract; use one of its subclasses")
        require_name("id", self.id)
        same = self.ts_init is self.ts_event
        object.__setattr__(self, "ts_event", require_timestamp("ts_event", self.ts_event))
        object.__setattr__(
            self, "ts_init", self.ts_event if same else require_timestamp("ts_init", self.ts_init)
        )
        require_integer("schema_version", self.schema_version, minimum=1)
        self._validate()

    def _validate(self) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:

        @property
        def key(self) -> str:
            """Name of the thing this message describes; last values are kept per key."""

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastUpdate(Message):
    """A forecast of an asset's return over a horizon (channel ``forecast_updates``).

    Attributes
    ----------
    asset
        Asset name, e.g. ``"BTCUSD"``.
    horizon
        Horizon: a number and a unit m, h or d (``"1h"``, ``"4h"``, ``"1d"``).
    prediction
        Expected return over the horizon.
    confidence
        Calibrated probability in [0, 1] that the sign of ``prediction`` is right.
    model, model_version
        The model that produced it.
    interval_low, interval_high
        Optional prediction interval of the return.
    tradable
        Whether the producing model version is live (the champion of its asset group
        and horizon). Forecasts of candidate and shadow versions are published with
        ``False`` so their record accrues; consumers that size positions skip them.
        Optional: a message without it (an older producer) is tradable.
    """

    message_type: ClassVar[str] = "forecast_update"
    channel: ClassVar[str] = FORECAST_UPDATES

    asset: str
    horizon: str
    prediction: float
    confidence: float
    model: str = ""
    model_version: str = ""
    interval_low: float | None = None
    interval_high: float | None = None
    tradable: bool = True

    def _validate(self) -> None:
        require_name("asset", self.asset)
        require_horizon("horizon", self.horizon)
        object.__setattr__(self, "prediction", require_number("prediction", self.prediction))
        object.__setattr__(self, "confidence", require_unit_interval("confidence", self.confidence))
        require_text("model", self.model)
        require_text("model_version", self.model_version)
        low = optional_number("interval_low", self.interval_low)
        high = optional_number("interval_high", self.interval_high)
        if low is not None and high is not None and low > high:
            raise MessageValidationError("interval_low", "must not exceed interval_high")
        object.__setattr__(self, "interval_low", low)
        object.__setattr__(self, "interval_high", high)
        require_flag("tradable", self.tradable)

    @property
    def key(self) -> str:
        """``"<asset>:<horizon>"``, e.g. ``"AAPL:1d"``."""
        return f"{self.asset}:{self.horizon}"

    def supersedes(self, held: ForecastUpdate) -> bool:
        """Whether this forecast replaces ``held`` (same key) as the one in force.

        The newer one wins (see :func:`forecast_supersedes` for the one exception: a
        shadow model's forecast never displaces a live model's).
        """
        if held.ts_event > self.ts_event:
            return False
        return forecast_supersedes(
            tradable=self.tradable,
            model_version=self.model_version,
            held_tradable=held.tradable,
            held_model_version=held.model_version,
        )

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        return {
            "asset": self.asset,
            "horizon": self.horizon,
            "prediction": self.prediction,
            "confidence": self.confidence,
            "model": self.model,
            "model_version": self.model_version,
            "interval_low": self.interval_low,
            "interval_high": self.interval_high,
            "tradable": self.tradable,
        }

    @classmethod
    def create(
        cls,
        *,
        asset: str,
        horizon: str,
        prediction: float,
        confidence: float,
        now: datetime,
        model: str = "",
        model_version: str = "",
        interval_low: float | None = None,
        interval_high: float | None = None,
        ts_event: datetime | None = None,
        tradable: bool = True,
    ) -> ForecastUpdate:
        """Build a forecast created at ``now`` (also its ``ts_event`` unless given)."""
        return cls(
            id=new_message_id(),
            ts_event=now if ts_event is None else ts_event,
            ts_init=now,
            asset=asset,
            horizon=horizon,
            prediction=prediction,
            confidence=confidence,
            model=model,
            model_version=model_version,
            interval_low=interval_low,
            interval_high=interval_high,
            tradable=tradable,
        )


def forecast_supersedes(
    *, tradable: bool, model_version: str, held_tradable: bool, held_model_version: str
) -> bool:
    """Whether a newer forecast of an asset and horizon replaces the one held.

    A tradable forecast, or one replacing a non-tradable one, always does. A
    non-tradable forecast replaces a tradable one only when both come from the same
    model version (that version stopped being live); from another version (a candidate
    or challenger in shadow, published so its record accrues) it never displaces the
    live model's forecast, which stays in force until it goes stale.
    """
    if tradable or not held_tradable:
        return True
    return model_version == held_model_version


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskUpdate(Message):
    """The risk engine's verdict (channel ``risk_updates``).

    Attributes
    ----------
    risk_factor
        Multiplier in [0, 1] applied to target exposures.
    state
        Circuit-breaker state: ``active``, ``reducing`` or ``halted``.
    reasons
        Why, e.g. ``("low_confidence", "high_volatility")``.
    inputs
        The numbers that led to the verdict.
    """

    message_type: ClassVar[str] = "risk_update"
    channel: ClassVar[str] = RISK_UPDATES

    risk_factor: float
    state: str = "active"
    reasons: tuple[str, ...] = ()
    inputs: Mapping[str, float] = field(default_factory=_empty_numbers)

    def _validate(self) -> None:
        object.__setattr__(
            self, "risk_factor", require_unit_interval("risk_factor", self.risk_factor)
        )
        require_choice("state", self.state, RISK_STATES)
        object.__setattr__(self, "reasons", require_reasons("reasons", self.reasons))
        object.__setattr__(self, "inputs", require_number_mapping("inputs", self.inputs))

    @property
    def key(self) -> str:
        """Empty: one risk verdict for the whole system."""
        return ""

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        return {
            "risk_factor": self.risk_factor,
            "state": self.state,
            "reasons": list(self.reasons),
            "inputs": dict(self.inputs),
        }

    @classmethod
    def create(
        cls,
        *,
        risk_factor: float,
        now: datetime,
        state: str = "active",
        reasons: Sequence[str] = (),
        inputs: Mapping[str, float] | None = None,
        ts_event: datetime | None = None,
    ) -> RiskUpdate:
        """Build a risk update created at ``now``."""
        return cls(
            id=new_message_id(),
            ts_event=now if ts_event is None else ts_event,
            ts_init=now,
            risk_factor=risk_factor,
            state=state,
            reasons=tuple(reasons),
            inputs=_EMPTY_NUMBERS if inputs is None else inputs,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StrategyConfigUpdate(Message):
    """A changed strategy parameter (channel ``strategy_config``).

    Attributes
    ----------
    key
        Parameter name, e.g. ``"entry_confidence"``; also the last-value key.
    value
        New value: any JSON value (stored read-only: lists as tuples).
    version
        Version of the configuration after the change, ``>= 1``.
    changed_by
        Who changed it.
    reason
        Why.
    """

    message_type: ClassVar[str] = "strategy_config_update"
    channel: ClassVar[str] = STRATEGY_CONFIG

    key: str
    value: Any
    version: int
    changed_by: str
    reason: str = ""

    def _validate(self) -> None:
        require_name("key", self.key)
        object.__setattr__(self, "value", require_json_value("value", self.value))
        require_integer("version", self.version, minimum=1)
        require_name("changed_by", self.changed_by)
        require_text("reason", self.reason)

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        return {
            "key": self.key,
            "value": thaw_json_value(self.value),
            "version": self.version,
            "changed_by": self.changed_by,
            "reason": self.reason,
        }

    @classmethod
    def create(
        cls,
        *,
        key: str,
        value: Any,
        version: int,
        changed_by: str,
        now: datetime,
        reason: str = "",
    ) -> StrategyConfigUpdate:
        """Build a configuration change made at ``now``."""
        return cls(
            id=new_message_id(),
            ts_event=now,
            ts_init=now,
            key=key,
            value=value,
            version=version,
            changed_by=changed_by,
            reason=reason,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent(Message):
    """A LEAN order event (channel ``execution_events``).

    Attributes
    ----------
    order_id
        LEAN order id.
    symbol
        Symbol as text, e.g. ``"SPY"``.
    status
        LEAN order status in snake case (``submitted``, ``filled``, ...).
    direction
        ``buy``, ``sell`` or ``hold``.
    quantity
        Order quantity (signed as LEAN reports it).
    fill_price, fill_quantity
        This event's fill (zero when nothing filled).
    fee, fee_currency
        Order fee of this event.
    tag, message
        Order tag and LEAN's message.
    order_event_id
        LEAN's id of the event within the order.
    limit_price, stop_price
        Prices of limit/stop orders, if any.
    """

    message_type: ClassVar[str] = "order_event"
    channel: ClassVar[str] = EXECUTION_EVENTS

    order_id: int
    symbol: str
    status: str
    direction: str
    quantity: float
    fill_price: float = 0.0
    fill_quantity: float = 0.0
    fee: float = 0.0
    fee_currency: str = ""
    tag: str = ""
    message: str = ""
    order_event_id: int = 0
    limit_price: float | None = None
    stop_price: float | None = None

    def _validate(self) -> None:
        require_integer("order_id", self.order_id, minimum=0)
        require_name("symbol", self.symbol)
        require_choice("status", self.status, ORDER_STATUSES)
        require_choice("direction", self.direction, ORDER_DIRECTIONS)
        object.__setattr__(self, "quantity", require_number("quantity", self.quantity))
        object.__setattr__(self, "fill_price", require_non_negative("fill_price", self.fill_price))
        object.__setattr__(
            self, "fill_quantity", require_number("fill_quantity", self.fill_quantity)
        )
        object.__setattr__(self, "fee", require_number("fee", self.fee))
        require_text("fee_currency", self.fee_currency)
        require_text("tag", self.tag)
        require_text("message", self.message)
        require_integer("order_event_id", self.order_event_id, minimum=0)
        object.__setattr__(self, "limit_price", optional_number("limit_price", self.limit_price))
        object.__setattr__(self, "stop_price", optional_number("stop_price", self.stop_price))

    @property
    def key(self) -> str:
        """``"order:<symbol>"``: the latest order event per symbol."""
        return f"order:{self.symbol}"

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        return {
            "order_id": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "direction": self.direction,
            "quantity": self.quantity,
            "fill_price": self.fill_price,
            "fill_quantity": self.fill_quantity,
            "fee": self.fee,
            "fee_currency": self.fee_currency,
            "tag": self.tag,
            "message": self.message,
            "order_event_id": self.order_event_id,
            "limit_price": self.limit_price,
            "stop_price": self.stop_price,
        }

    @classmethod
    def create(
        cls,
        *,
        order_id: int,
        symbol: str,
        status: str,
        direction: str,
        quantity: float,
        now: datetime,
        fill_price: float = 0.0,
        fill_quantity: float = 0.0,
        fee: float = 0.0,
        fee_currency: str = "",
        tag: str = "",
        message: str = "",
        order_event_id: int = 0,
        limit_price: float | None = None,
        stop_price: float | None = None,
        ts_event: datetime | None = None,
    ) -> OrderEvent:
        """Build an order event recorded at ``now``."""
        return cls(
            id=new_message_id(),
            ts_event=now if ts_event is None else ts_event,
            ts_init=now,
            order_id=order_id,
            symbol=symbol,
            status=status,
            direction=direction,
            quantity=quantity,
            fill_price=fill_price,
            fill_quantity=fill_quantity,
            fee=fee,
            fee_currency=fee_currency,
            tag=tag,
            message=message,
            order_event_id=order_event_id,
            limit_price=limit_price,
            stop_price=stop_price,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortfolioSnapshot(Message):
    """A periodic snapshot of the portfolio (channel ``execution_events``).

    Attributes
    ----------
    equity
        Total portfolio value.
    cash
        Cash balance.
    holdings
        Quantity held per symbol.
    drawdown
        Current drawdown from the equity peak, in [0, 1].
    """

    message_type: ClassVar[str] = "portfolio_snapshot"
    channel: ClassVar[str] = EXECUTION_EVENTS

    equity: float
    cash: float
    holdings: Mapping[str, float] = field(default_factory=_empty_numbers)
    drawdown: float = 0.0

    def _validate(self) -> None:
        object.__setattr__(self, "equity", require_number("equity", self.equity))
        object.__setattr__(self, "cash", require_number("cash", self.cash))
        object.__setattr__(self, "holdings", require_number_mapping("holdings", self.holdings))
        object.__setattr__(self, "drawdown", require_unit_interval("drawdown", self.drawdown))

    @property
    def key(self) -> str:
        """``"portfolio"``: one current snapshot."""
        return "portfolio"

    def payload_fields(self) -> dict[str, Any]:
        """Return the message-specific fields as JSON-ready values."""
        return {
            "equity": self.equity,
            "cash": self.cash,
            "holdings": dict(self.holdings),
            "drawdown": self.drawdown,
        }

    @classmethod
    def create(
        cls,
        *,
        equity: float,
        cash: float,
        now: datetime,
        holdings: Mapping[str, float] | None = None,
        drawdown: float = 0.0,
        ts_event: datetime | None = None,
    ) -> PortfolioSnapshot:
        """Build a portfolio snapshot taken at ``now``."""
        return cls(
            id=new_message_id(),
            ts_event=now if ts_event is None else ts_event,
            ts_init=now,
            equity=equity,
            cash=cash,
            holdings=_EMPTY_NUMBERS if holdings is None else holdings,
            drawdown=drawdown,
        )


MESSAGE_TYPES: Mapping[str, type[Message]] = MappingProxyType(
    {
        cls.message_type: cls
        for cls in (ForecastUpdate, RiskUpdate, StrategyConfigUpdate, OrderEvent, PortfolioSnapshot)
    }
)
