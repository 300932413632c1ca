"""A backtest (or live) run of an algorithm through the LEAN model, step by step as LEAN.

``Engine/AlgorithmManager.cs`` ``Run`` decides the order of things inside one time slice;
this module follows it: commands (live only), past scheduled events, the clock, security
prices, fills of waiting orders, scheduled events due now, ``on_data``, then the
framework (alpha only on slices with data, portfolio construction, risk management,
execution). Orders follow ``Algorithm/QCAlgorithm.Trading.cs`` ``MarketOrder``; fills
follow ``Common/Orders/Fills/EquityFillModel.cs`` and ``FillModel.cs``; fees follow the
brokerage model's fee models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from tests.lean.lean_model.algorithm_imports import (
    BrokerageName,
    Insight,
    IPortfolioTarget,
    OrderDirection,
    OrderEvent,
    OrderStatus,
    OrderType,
    QCAlgorithm,
    Resolution,
    Security,
    SecurityType,
    Slice,
    Symbol,
    TradeBar,
)
from tests.lean.lean_model.market_hours import ExchangeHours

_RESOLUTION_NAMES = {
    Resolution.DAILY: "daily",
    Resolution.HOUR: "hour",
    Resolution.MINUTE: "minute",
}
_SECURITY_TYPE_NAMES = {SecurityType.EQUITY: "equity", SecurityType.CRYPTO: "crypto"}
_PERIODS = {
    Resolution.DAILY: timedelta(days=1),
    Resolution.HOUR: timedelta(hours=1),
    Resolution.MINUTE: timedelta(minutes=1),
}


@dataclass
class Fill:
    """One filled order, as the model saw it."""

    order_id: int
    symbol: str
    order_type: OrderType
    submitted_utc: datetime
    filled_utc: datetime
    quantity: float
    price: float
    fee: float
    tag: str


@dataclass
class RunResult:
    """What a run produced."""

    slices: list[datetime] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    insights: list[Insight] = field(default_factory=list)
    alpha_calls: int = 0
    intended: dict[datetime, dict[str, float]] = field(default_factory=dict)
    prices: dict[datetime, dict[str, float]] = field(default_factory=dict)
    equity: dict[datetime, float] = field(default_factory=dict)
    missing_data: list[str] = field(default_factory=list)
    command_results: list[tuple[Any, Any]] = field(default_factory=list)


def strict_bars(frame: pd.DataFrame, hours: ExchangeHours, resolution: Resolution) -> pd.DataFrame:
    """Bars as LEAN emits them: index ``time`` (start) and ``end_time``, exchange time.

    Daily bars of a market that closes get LEAN's strict end times
    (Common/Util/LeanData.cs ``SetStrictEndTimes``, on through Common/AlgorithmSettings.cs
    ``DailyPreciseEndTime = true``): the bar spans the day's regular session, so it starts
    at 09:30 and ends at 16:00 New York, or 13:00 on an early close.
    """
    bars = frame[["open", "high", "low", "close", "volume"]].astype(float).copy()
    starts = pd.DatetimeIndex(bars.index)
    if resolution == Resolution.DAILY and not hours.always_open:
        sessions = [hours.session(moment.date()) for moment in starts]
        keep = [session is not None for session in sessions]
        bars = bars.loc[keep]
        opened = [session for session in sessions if session is not None]
        bars.index = pd.DatetimeIndex([session[0] for session in opened], name="time")
        bars["end_time"] = pd.DatetimeIndex([session[1] for session in opened])
    else:
        bars.index = pd.DatetimeIndex(starts, name="time")
        bars["end_time"] = starts + _PERIODS[resolution]
    return bars


class Engine:
    """Run ``algorithm`` over bars the way LEAN does.

    Parameters
    ----------
    algorithm
        A ``QCAlgorithm`` (not yet initialized).
    bars
        Bars per ticker (index: bar start in exchange time; ``open .. volume``), or
    data_folder
        a LEAN data folder, read with the project's LEAN-format reader at the market and
        resolution each security was added with (no file: the security gets no data,
        as in LEAN).
    live_mode
        Run as ``lean live``: commands are delivered (Engine/Server/LocalLeanManager.cs
        ``OnAlgorithmStart`` sets a command handler only in live mode) and open-market
        orders are never converted.
    commands
        Live only: LEAN commands to deliver, by the UTC time they arrive.
    before_slice
        Called with each slice's UTC time before it is processed.
    """

    def __init__(
        self,
        algorithm: QCAlgorithm,
        *,
        bars: Mapping[str, pd.DataFrame] | None = None,
        data_folder: Path | None = None,
        live_mode: bool = False,
        commands: Mapping[datetime, list[Any]] | None = None,
        before_slice: Callable[[datetime], None] | None = None,
    ) -> None:
        self.algorithm = algorithm
        self._given = dict(bars or {})
        self._data_folder = data_folder
        self._commands = sorted((commands or {}).items())
        self._before_slice = before_slice
        self._bars: dict[Symbol, pd.DataFrame] = {}
        self._pending: list[tuple[int, Symbol, float, str, OrderType, datetime]] = []
        self._next_order_id = 1
        self.result = RunResult()
        algorithm._live_mode = live_mode
        algorithm._order_sink = self._submit
        algorithm._history_source = self._history

    # ------------------------------------------------------------------ the run

    def run(self) -> RunResult:
        """Initialize the algorithm, replay every slice, end the algorithm."""
        algorithm = self.algorithm
        algorithm.initialize()
        if algorithm._start_date is None or algorithm._end_date is None:
            raise RuntimeError("initialize() must set the start and end dates")
        zone = ExchangeHours(time_zone=algorithm._time_zone, always_open=True)
        start_utc = zone.to_utc(algorithm._start_date)
        end_utc = zone.to_utc(algorithm._end_date)
        slices: dict[datetime, list[TradeBar]] = {}
        for symbol in algorithm.securities:
            security = algorithm.securities[symbol]
            frame = self._load(security)
            self._bars[symbol] = frame
            hours = security._hours
            for start, open_, high, low, close, volume, end in zip(
                frame.index,
                frame["open"],
                frame["high"],
                frame["low"],
                frame["close"],
                frame["volume"],
                frame["end_time"],
                strict=True,
            ):
                end_local = pd.Timestamp(end).to_pydatetime()
                moment = hours.to_utc(end_local)
                if start_utc < moment <= end_utc:
                    begin = pd.Timestamp(start).to_pydatetime()
                    bar = TradeBar(
                        begin, symbol, open_, high, low, close, volume, end_local - begin
                    )
                    slices.setdefault(moment, []).append(bar)
        for moment in sorted(slices):
            self._step(moment, slices[moment])
        algorithm.on_end_of_algorithm()
        return self.result

    def _step(self, moment: datetime, bars: list[TradeBar]) -> None:
        algorithm = self.algorithm
        if self._before_slice is not None:
            self._before_slice(moment)
        self._deliver_commands(moment)
        self._scan_past_events(moment)
        algorithm._set_utc(moment)
        for bar in bars:
            security = algorithm.securities[bar.symbol]
            security._price = bar.close
            security._last_bar = bar
        self._process_pending_orders(moment)
        self._fire_events(moment, inclusive=True)
        algorithm.on_data(Slice(algorithm.time, bars, moment))
        self._framework(moment, bars)
        self.result.slices.append(moment)
        self.result.equity[moment] = algorithm.portfolio.total_portfolio_value
        # Holdings plus what open orders (market-on-open ones waiting for the next session)
        # will add: the position the algorithm decided on at this slice.
        self.result.intended[moment] = {
            str(symbol): algorithm.portfolio[symbol].quantity
            + algorithm.transactions._open_quantity(symbol)
            for symbol in algorithm.securities
        }
        self.result.prices[moment] = {
            str(symbol): algorithm.securities[symbol].price for symbol in algorithm.securities
        }

    # AlgorithmManager.Run: leanManager.Update() processes commands first in each loop.
    def _deliver_commands(self, moment: datetime) -> None:
        if not self.algorithm.live_mode:
            return
        while self._commands and self._commands[0][0] <= moment:
            _, batch = self._commands.pop(0)
            for command in batch:
                # Common/Commands/CallbackCommand.cs Run: algorithm.OnCommand(data).
                self.result.command_results.append((command, self.algorithm.on_command(command)))

    # BacktestingRealTimeHandler.ScanPastEvents: events before the slice fire at their own
    # time (the algorithm's clock is set to each), before the slice's data is applied.
    def _scan_past_events(self, moment: datetime) -> None:
        self._fire_events(moment, inclusive=False)

    # BacktestingRealTimeHandler.SetTime: events due at or before the slice time fire after
    # prices and fills are updated and before OnData.
    def _fire_events(self, moment: datetime, *, inclusive: bool) -> None:
        events = self.algorithm.schedule._events
        while True:
            due = [
                event
                for event in events
                if event.next_event_utc_time < moment
                or (inclusive and event.next_event_utc_time == moment)
            ]
            if not due:
                return
            event = min(due, key=lambda item: item.next_event_utc_time)
            if not inclusive:
                self.algorithm._set_utc(event.next_event_utc_time)
            event._fire()

    # QCAlgorithm.Framework.cs OnFrameworkData: alpha only when the slice has data;
    # InitializeInsights; ProcessInsights (construction, risk overrides, execution).
    def _framework(self, moment: datetime, bars: list[TradeBar]) -> None:
        algorithm = self.algorithm
        if not bars or algorithm._alpha is None:
            return
        self.result.alpha_calls += 1
        insights = list(algorithm._alpha.update(algorithm, Slice(algorithm.time, bars, moment)))
        for insight in insights:
            algorithm._initialize_insight(insight)
            algorithm.insights._add(insight)
        self.result.insights.extend(insights)
        targets: list[IPortfolioTarget] = list(
            algorithm._portfolio_construction.create_targets(algorithm, insights)
        )
        overrides: list[IPortfolioTarget] = []
        for model in algorithm._risk_management:
            overrides = list(model.manage_risk(algorithm, targets))
        # riskTargetOverrides.Concat(targets).DistinctBy(symbol): overrides win.
        merged: dict[Symbol, IPortfolioTarget] = {}
        for target in overrides + targets:
            merged.setdefault(target.symbol, target)
        if algorithm._execution is not None and merged:
            algorithm._execution.execute(algorithm, list(merged.values()))

    # ------------------------------------------------------------------ orders

    def _submit(self, symbol: Symbol, quantity: float, tag: str) -> int:
        """QCAlgorithm.Trading.cs MarketOrder and its conversions."""
        algorithm = self.algorithm
        security = algorithm.securities[symbol]
        hours = security._hours
        moment = algorithm._utc
        order_type = OrderType.MARKET
        if not security.exchange.exchange_open:
            # "market orders submitted while the market is closed are automatically
            # converted into MarketOnOpen orders to fill at the next market open"
            order_type = OrderType.MARKET_ON_OPEN
        elif (
            not algorithm.live_mode
            and not hours.always_open
            and security.resolution == Resolution.DAILY
        ):
            # Daily-resolution-only securities in an open market: MarketOnClose (backtests).
            order_type = OrderType.MARKET_ON_CLOSE
        order_id = self._next_order_id
        self._next_order_id += 1
        algorithm.transactions._add_order(order_id, symbol, quantity, tag, order_type, moment)
        self._event(order_id, symbol, OrderStatus.SUBMITTED, quantity, 0.0, 0.0)
        if order_type == OrderType.MARKET:
            # FillModel.MarketFill: at the last trade price, synchronously in backtests.
            self._fill(order_id, symbol, quantity, security.price, order_type, moment, tag)
        else:
            self._pending.append((order_id, symbol, quantity, tag, order_type, moment))
        return order_id

    def _process_pending_orders(self, moment: datetime) -> None:
        waiting: list[tuple[int, Symbol, float, str, OrderType, datetime]] = []
        for order_id, symbol, quantity, tag, order_type, submitted in self._pending:
            security = self.algorithm.securities[symbol]
            price = self._fill_price(security, order_type, submitted)
            if price is None:
                waiting.append((order_id, symbol, quantity, tag, order_type, submitted))
                continue
            self._fill(order_id, symbol, quantity, price, order_type, submitted, tag)
        self._pending = waiting

    def _fill_price(
        self, security: Security, order_type: OrderType, submitted_utc: datetime
    ) -> float | None:
        bar = security._last_bar
        if bar is None:
            return None
        hours = security._hours
        local_order_time = hours.from_utc(submitted_utc)
        if order_type == OrderType.MARKET_ON_OPEN:
            # EquityFillModel.MarketOnOpenFill (trade bars): never on a bar that started
            # before the order, fill at the bar's open once the bar has ended after the
            # order and the exchange is open for the bar (FillModel.IsExchangeOpen: a
            # daily bar counts as open for its whole day).
            if bar.time < local_order_time or local_order_time >= bar.end_time:
                return None
            if not hours.is_open_between(bar.time, bar.end_time):
                return None
            return bar.open
        # FillModel.MarketOnCloseFill: at the close of the bar that reaches the day's close.
        close = hours.market_close_on(local_order_time.date())
        if close is None or bar.end_time < close:
            return None
        return bar.close

    def _fill(
        self,
        order_id: int,
        symbol: Symbol,
        quantity: float,
        price: float,
        order_type: OrderType,
        submitted: datetime,
        tag: str,
    ) -> None:
        algorithm = self.algorithm
        fee = self._fee(algorithm.securities[symbol], quantity, price)
        algorithm.portfolio._fill(symbol, quantity, price, fee)
        order = algorithm.transactions.get_order_by_id(order_id)
        if order is not None:
            order._status = OrderStatus.FILLED
        self.result.fills.append(
            Fill(
                order_id,
                str(symbol),
                order_type,
                submitted,
                algorithm._utc,
                quantity,
                price,
                fee,
                tag,
            )
        )
        self._event(order_id, symbol, OrderStatus.FILLED, quantity, price, quantity)

    def _fee(self, security: Security, quantity: float, price: float) -> float:
        if security.type == SecurityType.EQUITY:
            # InteractiveBrokersFeeModel, US equity: $0.005 a share; below $1 it is $1 (even
            # when that exceeds the cap), otherwise at most 0.5 % of the trade value.
            fee = 0.005 * abs(quantity)
            if fee < 1.0:
                return 1.0
            return min(fee, 0.005 * abs(quantity * price))
        if self.algorithm._brokerage == BrokerageName.BINANCE:
            return 0.001 * abs(quantity * price)  # BinanceFeeModel: 0.1 % taker
        return 0.0  # DefaultBrokerageModel.GetFeeModel: crypto -> ConstantFeeModel(0)

    def _event(
        self,
        order_id: int,
        symbol: Symbol,
        status: OrderStatus,
        quantity: float,
        price: float,
        fill_quantity: float,
    ) -> None:
        direction = OrderDirection.BUY if quantity > 0 else OrderDirection.SELL
        event = OrderEvent(
            order_id, symbol, self.algorithm.utc_time, status, direction, price, fill_quantity
        )
        # OnOrderEvent receives submitted and filled events alike.
        self.algorithm.on_order_event(event)

    # ------------------------------------------------------------------ data

    def _load(self, security: Security) -> pd.DataFrame:
        ticker = str(security.symbol)
        if ticker in self._given:
            frame = self._given[ticker]
        elif self._data_folder is not None:
            from market_data.lean_format.errors import LeanDataError
            from market_data.lean_format.reader import read_bars

            try:
                frame = read_bars(
                    self._data_folder,
                    security_type=_SECURITY_TYPE_NAMES[security.type],
                    market=security._market,
                    symbol=ticker,
                    resolution=_RESOLUTION_NAMES[security.resolution],
                )
            except LeanDataError:
                frame = pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
        else:
            frame = pd.DataFrame(columns=["open", "high", "low", "close", "volume"])
        if frame.empty:
            self.result.missing_data.append(f"{ticker}:{security._market}")
            frame = pd.DataFrame(
                columns=["open", "high", "low", "close", "volume"],
                index=pd.DatetimeIndex([], name="time"),
            )
        return strict_bars(frame, security._hours, security.resolution)

    def _history(self, symbol: Symbol, periods: int, now_utc: datetime) -> pd.DataFrame:
        """QCAlgorithm.History(symbols, periods): the last bars ending at or before now,
        indexed by (symbol, end time in exchange time) (Common/Python/PandasData.cs)."""
        frame = self._bars.get(symbol)
        if frame is None or frame.empty:
            return pd.DataFrame()
        hours = self.algorithm.securities[symbol]._hours
        now_local = pd.Timestamp(hours.from_utc(now_utc))
        visible = frame[frame["end_time"] <= now_local].tail(periods)
        result = visible[["open", "high", "low", "close", "volume"]].copy()
        result.index = pd.MultiIndex.from_arrays(
            [[symbol] * len(visible), pd.DatetimeIndex(visible["end_time"])],
            names=["symbol", "time"],
        )
        return result
