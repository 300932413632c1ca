"""Fake ``AlgorithmImports``: the subset of LEAN's Python API the adapters use.

Public names mirror quantconnect-stubs exactly (checked by ``test_fake_matches_stubs``).
Members starting with one underscore are test controls that LEAN does not have.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

import pandas as pd

# ----------------------------------------------------------------- enums and constants


class InsightType(IntEnum):
    PRICE = 0
    VOLATILITY = 1


class InsightDirection(IntEnum):
    DOWN = -1
    FLAT = 0
    UP = 1


class Resolution(IntEnum):
    TICK = 0
    SECOND = 1
    MINUTE = 2
    HOUR = 3
    DAILY = 4


class SecurityType(IntEnum):
    BASE = 0
    EQUITY = 1
    CRYPTO = 7


class OrderStatus(IntEnum):
    NEW = 0
    SUBMITTED = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELED = 5
    NONE = 6
    INVALID = 7


class OrderDirection(IntEnum):
    BUY = 0
    SELL = 1
    HOLD = 2


class Market:
    USA = "usa"
    COINBASE = "coinbase"
    BINANCE = "binance"


# ----------------------------------------------------------------- symbols and data


class Symbol(str):
    """LEAN's Symbol is a ``str`` subclass whose text is the ticker."""

    @property
    def value(self) -> str:
        return str(self)

    @staticmethod
    def create(ticker: str, security_type: SecurityType, market: str) -> Symbol:
        return Symbol(ticker.upper())


class TradeBar:
    def __init__(
        self,
        time: datetime,
        symbol: Symbol,
        open: float,
        high: float,
        low: float,
        close: float,
        volume: float,
        period: timedelta | None = None,
    ) -> None:
        self._time = time
        self._symbol = symbol
        self._open, self._high, self._low, self._close = open, high, low, close
        self._volume = volume
        self._period = period or timedelta(days=1)

    @property
    def time(self) -> datetime:
        return self._time

    @property
    def end_time(self) -> datetime:
        return self._time + self._period

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def open(self) -> float:
        return self._open

    @property
    def high(self) -> float:
        return self._high

    @property
    def low(self) -> float:
        return self._low

    @property
    def close(self) -> float:
        return self._close

    @property
    def volume(self) -> float:
        return self._volume


class TradeBars(dict[Symbol, TradeBar]):
    pass


class Slice:
    def __init__(self, time: datetime, data: list[TradeBar], utc_time: datetime) -> None:
        self._time = time
        self._utc_time = utc_time
        self._bars = TradeBars({bar.symbol: bar for bar in data})

    @property
    def time(self) -> datetime:
        return self._time

    @property
    def utc_time(self) -> datetime:
        return self._utc_time

    @property
    def bars(self) -> TradeBars:
        return self._bars

    @property
    def has_data(self) -> bool:
        return bool(self._bars)

    def contains_key(self, key: Symbol) -> bool:
        return key in self._bars

    def __contains__(self, key: Symbol) -> bool:
        return key in self._bars

    def __getitem__(self, key: Symbol) -> TradeBar:
        return self._bars[key]


# ----------------------------------------------------------------- insights and targets


class Insight:
    def __init__(
        self,
        symbol: Symbol,
        period: timedelta,
        type: InsightType,
        direction: InsightDirection,
        magnitude: float | None,
        confidence: float | None,
        source_model: str | None = None,
        weight: float | None = None,
        tag: str = "",
    ) -> None:
        self._symbol = symbol
        self._period = period
        self._type = type
        self._direction = direction
        self._magnitude = magnitude
        self._confidence = confidence
        self._source_model = source_model or ""
        self._weight = weight
        self._tag = tag
        self._generated_time_utc: datetime | None = None
        self._cancelled_at: datetime | None = None

    @staticmethod
    def price(
        symbol: Symbol,
        period: timedelta,
        direction: InsightDirection,
        magnitude: float | None = None,
        confidence: float | None = None,
        source_model: str | None = None,
        weight: float | None = None,
        tag: str = "",
    ) -> Insight:
        if period <= timedelta(0):
            raise ValueError("Insight period must be positive")
        return Insight(
            symbol,
            period,
            InsightType.PRICE,
            direction,
            magnitude,
            confidence,
            source_model,
            weight,
            tag,
        )

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def period(self) -> timedelta:
        return self._period

    @property
    def type(self) -> InsightType:
        return self._type

    @property
    def direction(self) -> InsightDirection:
        return self._direction

    @property
    def magnitude(self) -> float | None:
        return self._magnitude

    @property
    def confidence(self) -> float | None:
        return self._confidence

    @property
    def source_model(self) -> str:
        return self._source_model

    @property
    def weight(self) -> float | None:
        return self._weight

    @property
    def tag(self) -> str:
        return self._tag

    @property
    def generated_time_utc(self) -> datetime:
        if self._generated_time_utc is None:
            raise RuntimeError("insight not emitted yet")
        return self._generated_time_utc

    @property
    def close_time_utc(self) -> datetime:
        natural = self.generated_time_utc + self._period
        return natural if self._cancelled_at is None else min(natural, self._cancelled_at)

    def is_active(self, utc_time: datetime) -> bool:
        return self._generated_time_utc is not None and utc_time < self.close_time_utc

    def is_expired(self, utc_time: datetime) -> bool:
        return not self.is_active(utc_time)


class IPortfolioTarget:
    @property
    def symbol(self) -> Symbol:
        raise NotImplementedError

    @property
    def quantity(self) -> float:
        raise NotImplementedError

    @property
    def tag(self) -> str:
        raise NotImplementedError


class PortfolioTarget(IPortfolioTarget):
    def __init__(self, symbol: Symbol, quantity: float, tag: str = "") -> None:
        self._symbol = symbol
        self._quantity = float(quantity)
        self._tag = tag

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def quantity(self) -> float:
        return self._quantity

    @property
    def tag(self) -> str:
        return self._tag

    @staticmethod
    def percent(
        algorithm: QCAlgorithm,
        symbol: Symbol,
        percent: float,
        return_delta_quantity: bool = False,
        tag: str = "",
    ) -> IPortfolioTarget | None:
        """Like LEAN: ``None`` when the security is unknown or has no price yet."""
        if symbol not in algorithm.securities:
            return None
        price = algorithm.securities[symbol].price
        if price <= 0:
            return None
        quantity = (
            math.floor(percent * algorithm.portfolio.total_portfolio_value / price * 1e8) / 1e8
        )
        if return_delta_quantity:
            quantity -= algorithm.portfolio[symbol].quantity
        return PortfolioTarget(symbol, quantity, tag)


# ----------------------------------------------------------------- framework models


class AlphaModel:
    def __init__(self) -> None:
        self._name = type(self).__name__

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = value

    def update(self, algorithm: QCAlgorithm, data: Slice) -> list[Insight]:
        raise NotImplementedError

    def on_securities_changed(self, algorithm: QCAlgorithm, changes: Any) -> None:
        return None


class PortfolioConstructionModel:
    def __init__(self) -> None:
        return None

    def create_targets(
        self, algorithm: QCAlgorithm, insights: list[Insight]
    ) -> list[IPortfolioTarget]:
        raise NotImplementedError

    def on_securities_changed(self, algorithm: QCAlgorithm, changes: Any) -> None:
        return None


class RiskManagementModel:
    def manage_risk(
        self, algorithm: QCAlgorithm, targets: list[IPortfolioTarget]
    ) -> list[IPortfolioTarget]:
        raise NotImplementedError

    def on_securities_changed(self, algorithm: QCAlgorithm, changes: Any) -> None:
        return None


class ImmediateExecutionModel:
    def __init__(self) -> None:
        return None


# ----------------------------------------------------------------- orders


class Order:
    def __init__(self) -> None:
        self._id = 0
        self._symbol = Symbol("")
        self._quantity = 0.0
        self._tag = ""

    @property
    def id(self) -> int:
        return self._id

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def quantity(self) -> float:
        return self._quantity

    @property
    def tag(self) -> str:
        return self._tag


class OrderEvent:
    def __init__(
        self,
        order_id: int,
        symbol: Symbol,
        utc_time: datetime,
        status: OrderStatus,
        direction: OrderDirection,
        fill_price: float,
        fill_quantity: float,
        order_fee: Any = None,
        message: str = "",
    ) -> None:
        self._order_id = order_id
        self._symbol = symbol
        self._utc_time = utc_time
        self._status = status
        self._direction = direction
        self._fill_price = fill_price
        self._fill_quantity = fill_quantity
        self._message = message

    @property
    def order_id(self) -> int:
        return self._order_id

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def utc_time(self) -> datetime:
        return self._utc_time

    @property
    def status(self) -> OrderStatus:
        return self._status

    @property
    def direction(self) -> OrderDirection:
        return self._direction

    @property
    def fill_price(self) -> float:
        return self._fill_price

    @property
    def fill_quantity(self) -> float:
        return self._fill_quantity

    @property
    def message(self) -> str:
        return self._message


class SecurityTransactionManager:
    def __init__(self) -> None:
        self._orders: dict[int, Order] = {}

    def get_order_by_id(self, order_id: int) -> Order | None:
        return self._orders.get(order_id)

    def _add_order(self, order_id: int, symbol: Symbol, quantity: float, tag: str) -> Order:
        order = Order()
        order._id, order._symbol, order._quantity, order._tag = order_id, symbol, quantity, tag
        self._orders[order_id] = order
        return order


# ----------------------------------------------------------------- securities and portfolio


class SecurityHolding:
    def __init__(self, security: Security) -> None:
        self._security = security
        self._quantity = 0.0
        self._average_price = 0.0

    @property
    def symbol(self) -> Symbol:
        return self._security.symbol

    @property
    def quantity(self) -> float:
        return self._quantity

    @property
    def average_price(self) -> float:
        return self._average_price

    @property
    def price(self) -> float:
        return self._security.price

    @property
    def holdings_value(self) -> float:
        return self._quantity * self._security.price

    @property
    def absolute_holdings_value(self) -> float:
        return abs(self.holdings_value)

    @property
    def invested(self) -> bool:
        return self._quantity != 0


class Security:
    def __init__(self, symbol: Symbol) -> None:
        self._symbol = symbol
        self._price = 0.0
        self._holdings = SecurityHolding(self)

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def price(self) -> float:
        return self._price

    @property
    def close(self) -> float:
        return self._price

    @property
    def holdings(self) -> SecurityHolding:
        return self._holdings


class SecurityManager:
    def __init__(self) -> None:
        self._securities: dict[Symbol, Security] = {}

    def __getitem__(self, key: Symbol) -> Security:
        return self._securities[key]

    def __contains__(self, key: Symbol) -> bool:
        return key in self._securities

    def __iter__(self) -> Iterator[Symbol]:
        return iter(self._securities)

    def __len__(self) -> int:
        return len(self._securities)

    def contains_key(self, key: Symbol) -> bool:
        return key in self._securities

    def keys(self) -> list[Symbol]:
        return list(self._securities)

    def values(self) -> list[Security]:
        return list(self._securities.values())


class SecurityPortfolioManager:
    def __init__(self, securities: SecurityManager) -> None:
        self._securities = securities
        self._cash = 100_000.0

    def __getitem__(self, key: Symbol) -> SecurityHolding:
        return self._securities[key].holdings

    def __contains__(self, key: Symbol) -> bool:
        return key in self._securities

    def contains_key(self, key: Symbol) -> bool:
        return key in self._securities

    def keys(self) -> list[Symbol]:
        return self._securities.keys()

    def values(self) -> list[SecurityHolding]:
        return [security.holdings for security in self._securities.values()]

    @property
    def cash(self) -> float:
        return self._cash

    @property
    def total_holdings_value(self) -> float:
        return sum(holding.holdings_value for holding in self.values())

    @property
    def total_absolute_holdings_cost(self) -> float:
        return sum(abs(h.quantity * h.average_price) for h in self.values())

    @property
    def total_portfolio_value(self) -> float:
        return self._cash + self.total_holdings_value

    @property
    def invested(self) -> bool:
        return any(holding.invested for holding in self.values())

    def _fill(self, symbol: Symbol, quantity: float, price: float) -> None:
        holding = self._securities[symbol].holdings
        holding._quantity += quantity
        holding._average_price = price
        self._cash -= quantity * price


# ----------------------------------------------------------------- services


class InsightManager:
    """Like LEAN's: cancelling expires the symbols' active insights at the current time."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._insights: list[Insight] = []
        self._cancelled: list[Symbol] = []

    def cancel(self, symbols: list[Symbol]) -> None:
        now = self._clock()
        self._cancelled.extend(symbols)
        for insight in self._insights:
            if insight.symbol in symbols and insight.is_active(now):
                insight._cancelled_at = now

    def _add(self, insight: Insight) -> None:
        insight._generated_time_utc = self._clock()
        self._insights.append(insight)


class NotificationManager:
    def __init__(self) -> None:
        self._web: list[tuple[str, Any, Any]] = []
        self._fail = False

    def web(self, address: str, data: Any = None, headers: Any = None) -> bool:
        if self._fail:
            return False
        self._web.append((address, data, headers))
        return True


class ObjectStore:
    def __init__(self) -> None:
        self._files: dict[str, str] = {}

    def contains_key(self, path: str) -> bool:
        return path in self._files

    def read(self, path: str) -> str:
        if path not in self._files:
            raise KeyError(path)
        return self._files[path]

    def save(self, path: str, text: str) -> bool:
        self._files[path] = text
        return True


class IDateRule:
    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name


class ITimeRule:
    def __init__(self, name: str) -> None:
        self._name = name

    @property
    def name(self) -> str:
        return self._name


class DateRules:
    def every_day(self) -> IDateRule:
        return IDateRule("EveryDay")


class TimeRules:
    @property
    def midnight(self) -> ITimeRule:
        return ITimeRule("Midnight")

    def at(self, hour: int, minute: int, second: int = 0) -> ITimeRule:
        return ITimeRule(f"{hour:02d}:{minute:02d}:{second:02d}")


class ScheduledEvent:
    def __init__(self, name: str, callback: Callable[[], Any]) -> None:
        self._name = name
        self._callback = callback

    @property
    def name(self) -> str:
        return self._name


# ----------------------------------------------------------------- the algorithm


class QCAlgorithm:
    def __init__(self) -> None:
        self._time = datetime(2020, 1, 1)
        self._live_mode = False
        self._parameters: dict[str, str] = {}
        self._logs: list[str] = []
        self._securities = SecurityManager()
        self._portfolio = SecurityPortfolioManager(self._securities)
        self._insights = InsightManager(lambda: self._time)
        self._notify = NotificationManager()
        self._object_store = ObjectStore()
        self._transactions = SecurityTransactionManager()
        self._history_frame = pd.DataFrame()
        self._training: list[Callable[[], Any]] = []
        self._alpha: Any = None
        self._portfolio_construction: Any = None
        self._risk_management: list[Any] = []
        self._execution: Any = None
        self._start_date: datetime | None = None
        self._end_date: datetime | None = None

    # --- framework state
    @property
    def time(self) -> datetime:
        return self._time

    @property
    def utc_time(self) -> datetime:
        return self._time

    @property
    def live_mode(self) -> bool:
        return self._live_mode

    @property
    def is_warming_up(self) -> bool:
        return False

    @property
    def portfolio(self) -> SecurityPortfolioManager:
        return self._portfolio

    @property
    def securities(self) -> SecurityManager:
        return self._securities

    @property
    def insights(self) -> InsightManager:
        return self._insights

    @property
    def notify(self) -> NotificationManager:
        return self._notify

    @property
    def object_store(self) -> ObjectStore:
        return self._object_store

    @property
    def transactions(self) -> SecurityTransactionManager:
        return self._transactions

    # --- services
    def get_parameter(self, name: str, default_value: str | None = None) -> str | None:
        return self._parameters.get(name, default_value)

    def log(self, message: Any) -> None:
        self._logs.append(str(message))

    def debug(self, message: Any) -> None:
        self._logs.append(str(message))

    def error(self, message: Any) -> None:
        self._logs.append(str(message))

    def history(
        self, tickers: Symbol | list[Symbol], periods: int, resolution: Resolution | None = None
    ) -> pd.DataFrame:
        """Last ``periods`` bars up to the current time, indexed by (symbol, time)."""
        frame = self._history_frame
        if frame.empty:
            return frame
        wanted = [tickers] if isinstance(tickers, str) else list(tickers)
        times = frame.index.get_level_values("time")
        visible = frame[(times <= self._time) & frame.index.get_level_values("symbol").isin(wanted)]
        return visible.groupby(level="symbol", group_keys=False).tail(periods)

    def train(
        self,
        date_rule: IDateRule,
        time_rule: ITimeRule | None = None,
        training_code: Callable[[], Any] | None = None,
    ) -> ScheduledEvent:
        """Record the training callback; tests run it with ``_run_training``."""
        if training_code is None:
            raise TypeError("the fake supports train(date_rule, time_rule, training_code)")
        self._training.append(training_code)
        return ScheduledEvent("train", training_code)

    @property
    def date_rules(self) -> DateRules:
        return DateRules()

    @property
    def time_rules(self) -> TimeRules:
        return TimeRules()

    def on_data(self, slice: Slice) -> None:
        return None

    def on_end_of_algorithm(self) -> None:
        return None

    # --- setup
    def set_start_date(self, year: int, month: int, day: int) -> None:
        self._start_date = datetime(year, month, day)
        self._time = self._start_date

    def set_end_date(self, year: int, month: int, day: int) -> None:
        self._end_date = datetime(year, month, day)

    def set_cash(self, starting_cash: float) -> None:
        self._portfolio._cash = float(starting_cash)

    def add_crypto(
        self, ticker: str, resolution: Resolution | None = None, market: str | None = None
    ) -> Security:
        return self._add_security(ticker)

    def add_equity(
        self, ticker: str, resolution: Resolution | None = None, market: str | None = None
    ) -> Security:
        return self._add_security(ticker)

    def set_alpha(self, alpha: Any) -> None:
        self._alpha = alpha

    def set_portfolio_construction(self, portfolio_construction: Any) -> None:
        self._portfolio_construction = portfolio_construction

    def add_risk_management(self, risk_management: Any) -> None:
        self._risk_management.append(risk_management)

    def set_execution(self, execution: Any) -> None:
        self._execution = execution

    def initialize(self) -> None:
        return None

    def on_order_event(self, order_event: OrderEvent) -> None:
        return None

    def on_command(self, data: Any) -> bool | None:
        return None

    # --- test controls (not LEAN API)
    def _add_security(self, ticker: str) -> Security:
        symbol = Symbol(ticker.upper())
        if symbol not in self._securities:
            self._securities._securities[symbol] = Security(symbol)
        return self._securities[symbol]

    def _set_time(self, time: datetime) -> None:
        self._time = time

    def _set_price(self, symbol: Symbol, price: float) -> None:
        self._securities[symbol]._price = float(price)

    def _set_history(self, frame: pd.DataFrame) -> None:
        self._history_frame = frame

    def _run_training(self) -> None:
        for training_code in self._training:
            training_code()


def _public_classes() -> Iterable[type]:
    return [
        value
        for name, value in globals().items()
        if isinstance(value, type) and not name.startswith("_")
    ]


QCAlgorithmFramework = QCAlgorithm
