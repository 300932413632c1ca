"""A model of LEAN's ``AlgorithmImports``: the part of LEAN's Python API our code touches.

Public names mirror quantconnect-stubs exactly (checked by ``test_model_matches_stubs``).
Behaviour follows LEAN's source; every modelled rule names the LEAN file and symbol it
follows. Members starting with one underscore are the engine's controls (LEAN has no
such members); the backtest engine in ``engine.py`` drives them the way LEAN's
``AlgorithmManager`` does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum
from typing import Any

import pandas as pd

from tests.lean.lean_model.market_hours import (
    CRYPTO,
    US_EQUITY,
    ExchangeHours,
    insight_close_time_for_local,
    insight_close_time_for_period,
)
from tests.lean.lean_model.notifications import NotificationManager

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


class OrderType(IntEnum):
    MARKET = 0
    MARKET_ON_OPEN = 4
    MARKET_ON_CLOSE = 5


class AccountType(IntEnum):
    MARGIN = 0
    CASH = 1


class BrokerageName(IntEnum):
    DEFAULT = 0
    INTERACTIVE_BROKERS_BROKERAGE = 2
    BINANCE = 7
    COINBASE = 28


class DeploymentTarget(IntEnum):
    CLOUD_PLATFORM = 0
    LOCAL_PLATFORM = 1
    PRIVATE_CLOUD_PLATFORM = 2


class Market:
    USA = "usa"
    COINBASE = "coinbase"
    BINANCE = "binance"


# Common/Brokerages/DefaultBrokerageModel.cs DefaultMarkets: equity -> usa, crypto -> coinbase.
_DEFAULT_MARKETS = {SecurityType.EQUITY: Market.USA, SecurityType.CRYPTO: Market.COINBASE}
# Common/Brokerages/BinanceBrokerageModel.cs and CoinbaseBrokerageModel.cs DefaultMarkets.
_BROKERAGE_CRYPTO_MARKETS = {
    BrokerageName.BINANCE: Market.BINANCE,
    BrokerageName.COINBASE: Market.COINBASE,
}


# ----------------------------------------------------------------- symbols and data


class Symbol(str):
    """LEAN's Symbol; its text (``str(symbol)``, ``symbol.value``) is the ticker."""

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
        self._end_time = time + self._period

    @property
    def time(self) -> datetime:
        return self._time

    @property
    def end_time(self) -> datetime:
        return self._end_time

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


def _to_managed_datetime(value: datetime) -> datetime:
    # pythonnet src/runtime/Converter.cs ToManagedValue (DateTime): the wall-clock fields
    # are taken as they are (any tzinfo offset is ignored) and microseconds become
    # milliseconds.
    return value.replace(tzinfo=None, microsecond=value.microsecond // 1000 * 1000)


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
        self._period_spec: timedelta | datetime = period
        self._period = period if isinstance(period, timedelta) else timedelta(0)
        self._type = type
        self._direction = direction
        self._magnitude = magnitude
        self._confidence = confidence
        self._source_model = source_model or ""
        self._weight = weight
        self._tag = tag
        self._generated_time_utc: datetime | None = None
        self._close_time_utc: datetime | None = None

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
        """``Insight.Price``: a ``timedelta`` period or an exchange-local close time."""
        spec: timedelta | datetime
        if isinstance(period, datetime):
            # Insight.cs Price(Symbol, DateTime closeTimeLocal, ...): CloseTimePeriodSpecification.
            spec = _to_managed_datetime(period)
        else:
            # Insight.cs Price(Symbol, TimeSpan period, ...): periods under one second throw
            # ArgumentOutOfRangeException (a ValueError subclass in Python.NET's mapping).
            if period < timedelta(seconds=1):
                raise ValueError("Insight period must be greater than or equal to 1 second")
            spec = period
        return Insight(
            symbol,
            spec,  # type: ignore[arg-type]
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
        if self._close_time_utc is None:
            raise RuntimeError("insight not emitted yet")
        return self._close_time_utc

    # Insight.cs IsExpired: CloseTimeUtc < utcTime, so an insight is still active at
    # exactly its close time.
    def is_expired(self, utc_time: datetime) -> bool:
        return self.close_time_utc < _naive_utc(utc_time)

    def is_active(self, utc_time: datetime) -> bool:
        return not self.is_expired(utc_time)

    # Insight.cs Cancel: an active insight closes one second before ``utc_time``.
    def cancel(self, utc_time: datetime) -> None:
        if self.is_active(utc_time):
            self._close_time_utc = _naive_utc(utc_time) - timedelta(seconds=1)
            self._period = self._close_time_utc - self.generated_time_utc

    def _initialize(self, generated_utc: datetime, hours: ExchangeHours) -> None:
        # QCAlgorithm.Framework.cs InitializeInsightFields: GeneratedTimeUtc = UtcTime, then
        # Insight.SetPeriodAndCloseTime with the security's exchange hours.
        self._generated_time_utc = generated_utc
        spec = self._period_spec
        if isinstance(spec, datetime):
            self._close_time_utc = insight_close_time_for_local(hours, generated_utc, spec)
            self._period = self._close_time_utc - generated_utc
        else:
            self._close_time_utc = insight_close_time_for_period(hours, generated_utc, spec)


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


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
        """Common/Algorithm/Framework/Portfolio/PortfolioTarget.cs ``Percent``.

        ``None`` for an unknown security or one without a price. The weight applies to
        the portfolio value less the free buffer (``FreePortfolioValuePercentage``, 0.25 %
        by default, Common/AlgorithmSettings.cs) and is rounded toward zero to whole lots
        (``GetMaximumLotsForTargetBuyingPower``; fees are not modelled there).
        """
        if symbol not in algorithm.securities:
            return None
        security = algorithm.securities[symbol]
        if security.price <= 0:
            return None
        portfolio = algorithm.portfolio
        buffer = algorithm._free_portfolio_value_percentage
        target_value = percent * portfolio.total_portfolio_value * (1.0 - buffer)
        lot = security._lot_size
        lots = math.trunc(target_value / security.price / lot + 1e-9 * math.copysign(1, percent))
        quantity = lots * lot
        if return_delta_quantity:
            quantity -= portfolio[symbol].quantity
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
    """Algorithm/Execution/ImmediateExecutionModel.cs ``Execute``.

    Targets are kept until fulfilled; each call orders the unordered quantity
    (target - holdings - open orders, rounded toward zero to lots,
    ``OrderSizing.GetUnorderedQuantity``) with a market order tagged with the target's
    tag, when the order's value reaches ``MinimumOrderMarginPortfolioPercentage`` (0.1 %
    of the portfolio by default, ``AboveMinimumOrderMarginPortfolioPercentage``).
    """

    def __init__(self) -> None:
        self._targets: dict[Symbol, IPortfolioTarget] = {}

    def execute(self, algorithm: QCAlgorithm, targets: list[IPortfolioTarget]) -> None:
        for target in targets:
            self._targets[target.symbol] = target
        for symbol, target in list(self._targets.items()):
            security = algorithm.securities[symbol]
            quantity = algorithm._unordered_quantity(target)
            if quantity != 0:
                value = abs(quantity * security.price)
                minimum = (
                    algorithm._minimum_order_margin_portfolio_percentage
                    * algorithm.portfolio.total_portfolio_value
                )
                if value >= minimum:
                    algorithm.market_order(symbol, quantity, False, target.tag)
            # PortfolioTargetCollection.ClearFulfilled: drop targets met by holdings.
            if algorithm._unordered_quantity(target, include_open=False) == 0:
                del self._targets[symbol]


# ----------------------------------------------------------------- orders


class Order:
    def __init__(self) -> None:
        self._id = 0
        self._symbol = Symbol("")
        self._quantity = 0.0
        self._tag = ""
        self._type = OrderType.MARKET
        self._time = datetime(1, 1, 1)
        self._status = OrderStatus.NEW

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

    @property
    def type(self) -> OrderType:
        return self._type

    @property
    def time(self) -> datetime:
        return self._time

    @property
    def status(self) -> OrderStatus:
        return self._status


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

    def get_open_orders(self) -> list[Order]:
        return [order for order in self._orders.values() if order._status == OrderStatus.SUBMITTED]

    def _add_order(
        self,
        order_id: int,
        symbol: Symbol,
        quantity: float,
        tag: str,
        order_type: OrderType = OrderType.MARKET,
        utc_time: datetime | None = None,
    ) -> Order:
        order = Order()
        order._id, order._symbol, order._quantity, order._tag = order_id, symbol, quantity, tag
        order._type = order_type
        order._time = utc_time or datetime(1, 1, 1)
        order._status = OrderStatus.SUBMITTED
        self._orders[order_id] = order
        return order

    def _open_quantity(self, symbol: Symbol) -> float:
        return sum(order.quantity for order in self.get_open_orders() if order.symbol == symbol)


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


class _TimeZoneName:
    # NodaTime DateTimeZone.ToString() returns the zone's id, e.g. "America/New_York".
    def __init__(self, name: str) -> None:
        self._name = name

    def __str__(self) -> str:
        return self._name


class SecurityExchangeHours:
    def __init__(self, hours: ExchangeHours) -> None:
        self._hours = hours

    @property
    def time_zone(self) -> Any:
        return _TimeZoneName(self._hours.time_zone)

    @property
    def is_market_always_open(self) -> bool:
        return self._hours.always_open

    def is_open(self, local_date_time: datetime, extended_market_hours: bool) -> bool:
        return self._hours.is_open(local_date_time)

    def get_next_market_open(
        self, local_date_time: datetime, extended_market_hours: bool
    ) -> datetime:
        return self._hours.next_market_open(local_date_time)


class SecurityExchange:
    def __init__(
        self, exchange_hours: SecurityExchangeHours, clock: Callable[[], datetime]
    ) -> None:
        self._hours = exchange_hours
        self._clock = clock

    @property
    def hours(self) -> SecurityExchangeHours:
        return self._hours

    @property
    def time_zone(self) -> Any:
        return self._hours.time_zone

    @property
    def local_time(self) -> datetime:
        return self._hours._hours.from_utc(self._clock())

    # SecurityExchange.ExchangeOpen: Hours.IsOpen(LocalTime, false).
    @property
    def exchange_open(self) -> bool:
        return self._hours._hours.is_open(self.local_time)


class Security:
    def __init__(
        self,
        symbol: Symbol,
        security_type: SecurityType,
        market: str,
        resolution: Resolution,
        hours: ExchangeHours,
        clock: Callable[[], datetime],
        lot_size: float,
    ) -> None:
        self._symbol = symbol
        self._type = security_type
        self._market = market
        self._resolution = resolution
        self._exchange = SecurityExchange(SecurityExchangeHours(hours), clock)
        self._price = 0.0
        self._last_bar: TradeBar | None = None
        self._holdings = SecurityHolding(self)
        self._lot_size = lot_size

    @property
    def symbol(self) -> Symbol:
        return self._symbol

    @property
    def type(self) -> SecurityType:
        return self._type

    @property
    def resolution(self) -> Resolution:
        return self._resolution

    @property
    def exchange(self) -> SecurityExchange:
        return self._exchange

    @property
    def local_time(self) -> datetime:
        return self._exchange.local_time

    @property
    def price(self) -> float:
        return self._price

    @property
    def close(self) -> float:
        return self._price

    @property
    def has_data(self) -> bool:
        return self._last_bar is not None

    @property
    def holdings(self) -> SecurityHolding:
        return self._holdings

    @property
    def _hours(self) -> ExchangeHours:
        return self._exchange.hours._hours


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

    def _fill(self, symbol: Symbol, quantity: float, price: float, fee: float = 0.0) -> None:
        holding = self._securities[symbol].holdings
        holding._quantity += quantity
        holding._average_price = price
        self._cash -= quantity * price + fee


# ----------------------------------------------------------------- services


class InsightManager:
    """Common/Algorithm/Framework/Alphas/Analysis/InsightManager.cs: every emitted insight."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._insights: list[Insight] = []

    # InsightManager.Cancel(symbols): cancels the symbols' active insights at UtcTime.
    def cancel(self, symbols: list[Symbol]) -> None:
        now = self._clock()
        for insight in self._insights:
            if insight.symbol in symbols:
                insight.cancel(now)

    def get_active_insights(self, utc_time: datetime) -> list[Insight]:
        return [insight for insight in self._insights if insight.is_active(utc_time)]

    def _add(self, insight: Insight) -> None:
        self._insights.append(insight)


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
    def __init__(self, name: str, dates: Callable[[date, date], list[date]]) -> None:
        self._name = name
        self._dates = dates

    @property
    def name(self) -> str:
        return self._name

    def get_dates(self, start: datetime, end: datetime) -> list[datetime]:
        days = self._dates(start.date(), end.date())
        return [datetime.combine(day, time(0, 0)) for day in days]


class ITimeRule:
    def __init__(self, name: str, times: Callable[[list[datetime]], list[datetime]]) -> None:
        self._name = name
        self._times = times

    @property
    def name(self) -> str:
        return self._name

    def create_utc_event_times(self, dates: list[datetime]) -> list[datetime]:
        return self._times(dates)


def _every_date(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


class DateRules:
    def __init__(self, algorithm: QCAlgorithm) -> None:
        self._algorithm = algorithm

    # Common/Scheduling/DateRules.cs EveryDay(): every calendar day; EveryDay(symbol):
    # the days the symbol's exchange is open (SecurityExchangeHours.IsDateOpen).
    def every_day(
        self, symbol: Symbol | None = None, extended_market_hours: bool = False
    ) -> IDateRule:
        if symbol is None:
            return IDateRule("EveryDay", _every_date)
        hours = self._algorithm.securities[symbol]._hours
        return IDateRule(
            f"{symbol}: EveryDay",
            lambda start, end: [day for day in _every_date(start, end) if hours.is_date_open(day)],
        )


class TimeRules:
    def __init__(self, algorithm: QCAlgorithm) -> None:
        self._algorithm = algorithm

    def _zone(self) -> ExchangeHours:
        return ExchangeHours(time_zone=self._algorithm._time_zone, always_open=True)

    # Common/Scheduling/TimeRules.cs Midnight: each date at 00:00 in the algorithm's zone.
    @property
    def midnight(self) -> ITimeRule:
        zone = self._zone()
        return ITimeRule("Midnight", lambda dates: [zone.to_utc(day) for day in dates])

    # TimeRules.At(hour, minute, second): in the algorithm's time zone.
    def at(self, hour: int, minute: int, second: int = 0) -> ITimeRule:
        zone = self._zone()
        offset = timedelta(hours=hour, minutes=minute, seconds=second)
        return ITimeRule(
            f"{hour:02d}:{minute:02d}:{second:02d}",
            lambda dates: [zone.to_utc(day + offset) for day in dates],
        )

    # TimeRules.Every(interval): from each date's midnight, every interval, in the
    # algorithm's time zone (EveryIntervalIterator).
    def every(self, interval: timedelta) -> ITimeRule:
        zone = self._zone()

        def times(dates: list[datetime]) -> list[datetime]:
            result: list[datetime] = []
            for day in dates:
                moment = day
                while moment < day + timedelta(days=1):
                    result.append(zone.to_utc(moment))
                    moment += interval
            return result

        return ITimeRule(f"Every {interval}", times)

    # TimeRules.BeforeMarketClose(symbol, minutes): the day's last regular close (early
    # closes included) minus the minutes, only on dates the exchange is open.
    def before_market_close(
        self, symbol: Symbol, minutes_before_close: float = 0, extended_market_close: bool = False
    ) -> ITimeRule:
        hours = self._algorithm.securities[symbol]._hours
        if hours.always_open:
            # TimeRules.BeforeMarketClose -> GetLastDailyMarketClose has no close to find
            # for a market that never closes.
            raise ValueError(f"{symbol}: the market never closes")
        before = timedelta(minutes=minutes_before_close)

        def times(dates: list[datetime]) -> list[datetime]:
            result: list[datetime] = []
            for day in dates:
                close = hours.market_close_on(day.date())
                if close is not None:
                    result.append(hours.to_utc(close - before))
            return result

        return ITimeRule(f"{symbol}: {minutes_before_close:g} min before MarketClose", times)


class ScheduledEvent:
    def __init__(self, name: str, callback: Callable[[], Any], times: list[datetime]) -> None:
        self._name = name
        self._callback = callback
        self._times = sorted(times)
        self._next = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def next_event_utc_time(self) -> datetime:
        if self._next >= len(self._times):
            return datetime.max
        return self._times[self._next]

    def _fire(self) -> None:
        self._next += 1
        self._callback()


class ScheduleManager:
    def __init__(self, algorithm: QCAlgorithm) -> None:
        self._algorithm = algorithm
        self._events: list[ScheduledEvent] = []

    def on(
        self, date_rule: IDateRule, time_rule: ITimeRule, callback: Callable[[], Any]
    ) -> ScheduledEvent:
        algorithm = self._algorithm
        if algorithm._start_date is None or algorithm._end_date is None:
            raise RuntimeError("set the start and end dates before scheduling")
        dates = date_rule.get_dates(algorithm._start_date, algorithm._end_date)
        times = time_rule.create_utc_event_times(dates)
        event = ScheduledEvent(f"{date_rule.name}: {time_rule.name}", callback, times)
        self._events.append(event)
        return event


# ----------------------------------------------------------------- the algorithm


class QCAlgorithm:
    def __init__(self) -> None:
        self._utc = datetime(2020, 1, 1)
        # QCAlgorithm.cs: the default algorithm time zone is New York.
        self._time_zone = "America/New_York"
        self._live_mode = False
        self._parameters: dict[str, str] = {}
        self._logs: list[str] = []
        self._securities = SecurityManager()
        self._portfolio = SecurityPortfolioManager(self._securities)
        self._insights = InsightManager(lambda: self._utc)
        self._notify = NotificationManager(live_mode=False)
        # QCAlgorithm.DeploymentTarget: LocalPlatform unless QuantConnect runs the job.
        self._deployment_target = DeploymentTarget.LOCAL_PLATFORM
        self._object_store = ObjectStore()
        self._transactions = SecurityTransactionManager()
        self._schedule = ScheduleManager(self)
        self._history_source: Callable[[Symbol, int, datetime], pd.DataFrame] | None = None
        self._history_frame = pd.DataFrame()
        self._alpha: Any = None
        self._portfolio_construction: Any = None
        self._risk_management: list[Any] = []
        self._execution: Any = None
        self._start_date: datetime | None = None
        self._end_date: datetime | None = None
        self._brokerage = BrokerageName.DEFAULT
        self._account_type = AccountType.MARGIN
        self._account_currency = "USD"
        # Common/AlgorithmSettings.cs defaults.
        self._free_portfolio_value_percentage = 0.0025
        self._minimum_order_margin_portfolio_percentage = 0.001
        self._order_sink: Callable[[Symbol, float, str], Any] | None = None
        self._default_hours: dict[SecurityType, ExchangeHours] = {
            SecurityType.EQUITY: US_EQUITY,
            SecurityType.CRYPTO: CRYPTO,
        }

    # --- framework state
    @property
    def time(self) -> datetime:
        # QCAlgorithm.Time: the algorithm's time zone (New York unless set), naive.
        return ExchangeHours(time_zone=self._time_zone, always_open=True).from_utc(self._utc)

    @property
    def utc_time(self) -> datetime:
        # A UTC DateTime reaches Python with pythonnet's UTC tzinfo (Converter.cs TzInfo).
        return self._utc.replace(tzinfo=UTC)

    @property
    def time_zone(self) -> Any:
        return _TimeZoneName(self._time_zone)

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
        # NotificationManager(liveMode): Web() returns false outside live mode.
        self._notify._live_mode = self._live_mode
        return self._notify

    @property
    def deployment_target(self) -> DeploymentTarget:
        return self._deployment_target

    @property
    def object_store(self) -> ObjectStore:
        return self._object_store

    @property
    def transactions(self) -> SecurityTransactionManager:
        return self._transactions

    @property
    def schedule(self) -> ScheduleManager:
        return self._schedule

    @property
    def date_rules(self) -> DateRules:
        return DateRules(self)

    @property
    def time_rules(self) -> TimeRules:
        return TimeRules(self)

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
        """The last ``periods`` bars that ended by now, indexed by (symbol, time).

        ``time`` is each bar's end time in the symbol's exchange time zone, naive
        (Common/Python/PandasData.cs indexes by EndTime; SubscriptionDataReaderHistoryProvider
        keeps bars with ``EndTime <= request end``, the request end being UtcTime).
        """
        wanted = [tickers] if isinstance(tickers, str) else list(tickers)
        if self._history_source is not None:
            frames = [self._history_source(symbol, periods, self._utc) for symbol in wanted]
            frames = [frame for frame in frames if not frame.empty]
            return pd.concat(frames) if frames else pd.DataFrame()
        frame = self._history_frame
        if frame.empty:
            return frame
        times = frame.index.get_level_values("time")
        visible = frame[(times <= self.time) & frame.index.get_level_values("symbol").isin(wanted)]
        return visible.groupby(level="symbol", group_keys=False).tail(periods)

    def train(
        self,
        date_rule: IDateRule,
        time_rule: ITimeRule | None = None,
        training_code: Callable[[], Any] | None = None,
    ) -> ScheduledEvent:
        """Algorithm/QCAlgorithm.Python.cs Train -> Common/Scheduling/ScheduleManager.cs
        Training, which is ``On``: an ordinary scheduled event, fired like ``schedule.on``."""
        if time_rule is None or training_code is None:
            raise TypeError("the model supports train(date_rule, time_rule, training_code)")
        return self._schedule.on(date_rule, time_rule, training_code)

    def on_data(self, slice: Slice) -> None:
        return None

    def on_end_of_algorithm(self) -> None:
        return None

    # --- setup
    def set_start_date(self, year: int, month: int, day: int) -> None:
        self._start_date = datetime(year, month, day)
        zone = ExchangeHours(time_zone=self._time_zone, always_open=True)
        self._utc = zone.to_utc(self._start_date)

    def set_end_date(self, year: int, month: int, day: int) -> None:
        # QCAlgorithm.SetEndDate: the end date's last moment (23:59:59.999...).
        self._end_date = datetime(year, month, day, 23, 59, 59)

    def set_cash(self, starting_cash: float) -> None:
        self._portfolio._cash = float(starting_cash)

    def set_time_zone(self, time_zone: str) -> None:
        self._time_zone = time_zone

    def set_account_currency(
        self, account_currency: str, starting_cash: float | None = None
    ) -> None:
        self._account_currency = account_currency
        if starting_cash is not None:
            self._portfolio._cash = float(starting_cash)

    def set_brokerage_model(
        self, brokerage: BrokerageName, account_type: AccountType = AccountType.MARGIN
    ) -> None:
        self._brokerage = brokerage
        self._account_type = account_type

    def add_crypto(
        self, ticker: str, resolution: Resolution | None = None, market: str | None = None
    ) -> Security:
        # QCAlgorithm.AddCrypto without a market: the brokerage model's default market
        # (DefaultBrokerageModel: coinbase; BinanceBrokerageModel: binance).
        chosen = market or _BROKERAGE_CRYPTO_MARKETS.get(
            self._brokerage, _DEFAULT_MARKETS[SecurityType.CRYPTO]
        )
        return self._add_security(ticker, SecurityType.CRYPTO, chosen, resolution)

    def add_equity(
        self, ticker: str, resolution: Resolution | None = None, market: str | None = None
    ) -> Security:
        return self._add_security(ticker, SecurityType.EQUITY, market or Market.USA, resolution)

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

    def market_order(
        self, symbol: Symbol, quantity: float, asynchronous: bool = False, tag: str = ""
    ) -> Any:
        if self._order_sink is None:
            raise RuntimeError("no engine attached to place orders")
        return self._order_sink(symbol, quantity, tag)

    # --- engine controls (not LEAN API)
    def _add_security(
        self,
        ticker: str,
        security_type: SecurityType = SecurityType.EQUITY,
        market: str = Market.USA,
        resolution: Resolution | None = None,
    ) -> Security:
        symbol = Symbol(ticker.upper())
        if symbol not in self._securities:
            # Symbol properties: US equities trade whole shares; crypto lot sizes vary by
            # pair (symbol-properties-database.csv); 1e-5 is Binance's BTCUSDT lot.
            lot = 1.0 if security_type == SecurityType.EQUITY else 1e-5
            self._securities._securities[symbol] = Security(
                symbol,
                security_type,
                market,
                resolution or Resolution.MINUTE,
                self._default_hours[security_type],
                lambda: self._utc,
                lot,
            )
        return self._securities[symbol]

    def _set_utc(self, utc: datetime) -> None:
        self._utc = _naive_utc(utc)

    def _set_time(self, time: datetime) -> None:
        """Unit-test helper: set the clock from a naive UTC time."""
        self._set_utc(time)

    def _set_price(self, symbol: Symbol, price: float) -> None:
        self._securities[symbol]._price = float(price)

    def _set_history(self, frame: pd.DataFrame) -> None:
        self._history_frame = frame

    def _run_training(self) -> None:
        for event in self._schedule._events:
            event._callback()

    def _initialize_insight(self, insight: Insight) -> Insight:
        insight._initialize(self._utc, self._securities[insight.symbol]._hours)
        return insight

    def _unordered_quantity(self, target: IPortfolioTarget, include_open: bool = True) -> float:
        # Common/Orders/OrderSizing.cs GetUnorderedQuantity: target - holdings - open
        # orders, then AdjustByLotSize (rounded toward zero to whole lots).
        security = self._securities[target.symbol]
        open_quantity = self._transactions._open_quantity(target.symbol) if include_open else 0.0
        raw = target.quantity - security.holdings.quantity - open_quantity
        lot = security._lot_size
        return math.trunc(raw / lot + 1e-9 * math.copysign(1, raw)) * lot if raw else 0.0


QCAlgorithmFramework = QCAlgorithm
