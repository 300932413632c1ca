"""Replay forecasts and prices through the sizing rule, with or without the risk engine.

At each bar end ``t`` the forecasts made by ``t`` are live (until
``forecast_ttl_seconds`` old) and the target weights are computed. How they are filled:

- ``close`` (default): at ``t``'s close, held until the next bar end;
- ``next_open``: at the next bar's open, as LEAN fills a market order sent at a daily
  close (it becomes a market-on-open order, Algorithm/QCAlgorithm.Trading.cs
  ``MarketOrder``; Common/Orders/Fills/EquityFillModel.cs ``MarketOnOpenFill``). The
  period from ``t``'s close to the next close then has two legs: the overnight gap on
  the old weights, and open to close on the new ones.

A period's return is the weighted sum of the assets' returns, less trading costs on
the turnover.

Only proven models trade: a forecast whose ``tradable`` column is false (its model
version is not live) is never sized. As in the live system, it replaces the asset's
tradable forecast only when it comes from the same model version (that version was
demoted: the asset then targets 0), never when it comes from another version in shadow
(``signal_bus.messages.forecast_supersedes``). It still reaches the risk engine, which
keeps the feed fresh with it and, in managed mode, names each asset whose live
forecasts are all non-tradable (``risk_models.promotion.no_live_model_reason``).
``ReplayConfig(gated=False)`` treats every forecast as tradable (the behaviour before
the gates).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from risk_models.breakers import BreakerError, breakers_named
from risk_models.monitor import RiskMonitor, RiskMonitorConfig
from risk_models.parameters import StrategyParameters
from risk_models.promotion import tradable_mask
from risk_models.sizing import target_weights
from risk_models.states import RiskState
from signal_bus.horizon import Horizon
from signal_bus.messages import forecast_supersedes

FILLS = ("close", "next_open")


@dataclass(frozen=True)
class ReplayConfig:
    """How to replay.

    Parameters
    ----------
    parameters
        Strategy parameters (sizing and risk).
    managed
        Run the risk engine (factor and states) or size with factor 1 always.
    rearm_after
        Simulated operator: re-arm a latched breaker this long after it tripped
        (``None``: never, as in live trading without an operator).
    cost_bps
        Trading cost per unit of turnover, in basis points.
    use_garch
        Forecast volatility with GARCH(1,1) as well as realized volatility.
    fill
        ``"close"``: targets are filled at the close they were decided on;
        ``"next_open"``: at the next bar's open (LEAN's daily backtests).
    gated
        Size only tradable forecasts (the ``tradable`` column; without it every
        forecast is tradable); ``False`` sizes every forecast.
    """

    parameters: StrategyParameters = field(default_factory=StrategyParameters)
    managed: bool = True
    rearm_after: timedelta | None = timedelta(days=5)
    cost_bps: float = 0.0
    use_garch: bool = True
    fill: Literal["close", "next_open"] = "close"
    gated: bool = True

    def __post_init__(self) -> None:
        if self.fill not in FILLS:
            raise ValueError(f"fill must be one of {', '.join(FILLS)}; got {self.fill!r}")
        if not (math.isfinite(self.cost_bps) and self.cost_bps >= 0.0):
            raise ValueError("cost_bps must be a non-negative number")
        if self.rearm_after is not None and self.rearm_after < timedelta(0):
            raise ValueError("rearm_after must not be negative")


@dataclass(frozen=True)
class ReplayResult:
    """What a replay produced.

    Parameters
    ----------
    returns
        Portfolio return of each period, indexed by the period's end.
    states
        Risk state in force after each bar end.
    risk_factors
        Risk factor in force after each bar end.
    breaker_trips
        How many times a breaker started to hold.
    reasons
        Reasons of the risk decision in force after each bar end (tuples; empty when
        unmanaged), with ``no live model for X`` for each asset whose live forecasts
        were all non-tradable.
    weights
        Target weight per symbol set at each bar end.
    rearms_per_bar
        Latched breakers the simulated operator re-armed at each bar end.
    """

    returns: pd.Series
    states: pd.Series
    risk_factors: pd.Series
    breaker_trips: int
    reasons: pd.Series
    weights: pd.DataFrame
    rearms_per_bar: pd.Series

    @property
    def rearms(self) -> int:
        """How many latched breakers the simulated operator re-armed."""
        return int(self.rearms_per_bar.sum())

    def since(self, start: pd.Timestamp | datetime) -> ReplayResult:
        """The replay from the first bar ending at or after ``start``.

        The bars before it still warmed the engine up (price history for volatility,
        the equity peak); they are only left out of what is measured. Returns start with
        the period after that bar; a breaker already holding at the bar before ``start``
        is not counted as a trip again.

        Raises
        ------
        ValueError
            If no bar ends at or after ``start``.
        """
        index = pd.DatetimeIndex(self.states.index)
        first = int(index.searchsorted(pd.Timestamp(start), side="left"))
        if first >= len(index):
            raise ValueError(f"no bar at or after {pd.Timestamp(start).isoformat()}")
        held = breakers_named(self.reasons.iloc[first - 1]) if first > 0 else set()
        return ReplayResult(
            returns=self.returns[self.returns.index > index[first]],
            states=self.states.iloc[first:],
            risk_factors=self.risk_factors.iloc[first:],
            breaker_trips=_trips(self.reasons.iloc[first:], held=held),
            reasons=self.reasons.iloc[first:],
            weights=self.weights.iloc[first:],
            rearms_per_bar=self.rearms_per_bar.iloc[first:],
        )

    def time_in_state(self) -> dict[str, float]:
        """Share of bars spent in each state."""
        total = max(len(self.states), 1)
        return {
            state.value: float((self.states == state.value).sum()) / total for state in RiskState
        }


def replay(
    forecasts: pd.DataFrame,
    closes: pd.DataFrame,
    config: ReplayConfig,
    opens: pd.DataFrame | None = None,
) -> ReplayResult:
    """Replay ``forecasts`` against ``closes``.

    Parameters
    ----------
    forecasts
        Rows with ``symbol``, ``time`` (UTC-aware, when made), ``horizon``,
        ``prediction``, ``confidence`` and optionally ``tradable`` and
        ``model_version``; sorted by ``time``.
    closes
        Close prices indexed by UTC-aware bar end time, one column per symbol.
    config
        Replay settings.
    opens
        Open prices on the same index and columns as ``closes``; needed for
        ``fill="next_open"``.

    Raises
    ------
    ValueError
        If ``closes`` has fewer than two bars or an unsorted index, or ``opens`` is
        missing or misaligned when the fill needs it.
    """
    if len(closes) < 2:
        raise ValueError("need at least two bars to replay")
    if not closes.index.is_monotonic_increasing:
        raise ValueError("closes must be sorted by time")
    next_open = config.fill == "next_open"
    if next_open and (
        opens is None
        or not opens.index.equals(closes.index)
        or list(opens.columns) != list(closes.columns)
    ):
        raise ValueError("fill='next_open' needs opens on the same index and columns as closes")
    parameters = config.parameters
    symbols = [str(column) for column in closes.columns]
    prices = closes.ffill().to_numpy(dtype=float)
    open_prices = (
        opens.fillna(closes).ffill().to_numpy(dtype=float)
        if next_open and opens is not None
        else prices
    )
    queued: dict[str, float] | None = None  # decided at a close, filled at the next open
    times = [timestamp.to_pydatetime() for timestamp in pd.DatetimeIndex(closes.index)]
    spacing = float(np.median(np.diff([moment.timestamp() for moment in times])))
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=spacing / 2.0, use_garch=config.use_garch))
    ttl = timedelta(seconds=parameters.forecast_ttl_seconds)

    rows = iter(_forecast_rows(forecasts, gated=config.gated))
    pending = next(rows, None)
    live: dict[str, _Held] = {}
    weights = dict.fromkeys(symbols, 0.0)
    equity = 1.0
    returns: list[float] = []
    states: list[str] = []
    factors: list[float] = []
    reasons: list[tuple[str, ...]] = []
    held: list[list[float]] = []
    rearm_counts: list[int] = []

    for step, now in enumerate(times):
        if step > 0 and not next_open:
            asset_returns = _asset_returns(prices[step - 1], prices[step])
            period = sum(weights[s] * r for s, r in zip(symbols, asset_returns, strict=True))
            period = max(period, -1.0)
            equity *= 1.0 + period
            if equity <= 0.0:
                equity = 1e-12
            weights = _drift(weights, symbols, asset_returns, period)
            returns.append(period)
        elif step > 0:
            gap = _asset_returns(prices[step - 1], open_prices[step])
            overnight = max(sum(weights[s] * r for s, r in zip(symbols, gap, strict=True)), -1.0)
            weights = _drift(weights, symbols, gap, overnight)
            cost = 0.0
            if queued is not None:
                turnover = sum(abs(queued[s] - weights[s]) for s in symbols)
                cost = turnover * config.cost_bps / 10_000.0
                weights = dict(queued)
                queued = None
            day = _asset_returns(open_prices[step], prices[step])
            session = max(sum(weights[s] * r for s, r in zip(symbols, day, strict=True)), -1.0)
            weights = _drift(weights, symbols, day, session)
            period = max((1.0 + overnight) * (1.0 - cost) * (1.0 + session) - 1.0, -1.0)
            equity *= 1.0 + period
            if equity <= 0.0:
                equity = 1e-12
            returns.append(period)
        while pending is not None and pending[1] <= now:
            symbol, made_at, horizon, prediction, confidence, tradable, version = pending
            held_forecast = live.get(symbol)
            if held_forecast is None or forecast_supersedes(
                tradable=tradable,
                model_version=version,
                held_tradable=held_forecast.tradable,
                held_model_version=held_forecast.model_version,
            ):
                live[symbol] = _Held(prediction, confidence, made_at, tradable, version)
            if config.managed:
                monitor.on_forecast(
                    symbol,
                    horizon,
                    prediction,
                    confidence,
                    made_at=made_at,
                    horizon_length=Horizon(horizon).duration,
                    tradable=tradable,
                    model_version=version,
                )
            pending = next(rows, None)

        factor, state = 1.0, RiskState.ACTIVE
        why: tuple[str, ...] = ()
        rearmed = 0
        if config.managed:
            for symbol, price in zip(symbols, prices[step], strict=True):
                if math.isfinite(price) and price > 0.0:
                    monitor.on_price(symbol, float(price), now)
            monitor.on_portfolio(equity, now)
            rearmed = _simulated_rearms(monitor, config, now)
            decision = monitor.evaluate(parameters, now)
            factor, state, why = decision.risk_factor, decision.state, tuple(decision.reasons)
        states.append(state.value)
        factors.append(factor)
        reasons.append(why)
        rearm_counts.append(rearmed)

        signals = {
            symbol: (forecast.prediction, forecast.confidence)
            for symbol, forecast in live.items()
            if forecast.tradable and symbol in weights and forecast.made_at + ttl >= now
        }
        targets = target_weights(
            signals, parameters=parameters, risk_factor=factor, state=state, current_weights=weights
        )
        decided = {s: targets.get(s, 0.0) for s in symbols}
        held.append([decided[s] for s in symbols])
        if next_open:
            queued = decided
            continue
        turnover = sum(abs(decided[s] - weights[s]) for s in symbols)
        if turnover and config.cost_bps and returns:
            cost = turnover * config.cost_bps / 10_000.0
            returns[-1] = max(returns[-1] - cost, -1.0)
            equity *= 1.0 - cost
        weights = decided

    index = pd.DatetimeIndex(closes.index)
    return ReplayResult(
        returns=pd.Series(returns, index=index[1:], dtype=float),
        states=pd.Series(states, index=index, dtype=object),
        risk_factors=pd.Series(factors, index=index, dtype=float),
        breaker_trips=_trips(reasons),
        reasons=pd.Series(reasons, index=index, dtype=object),
        weights=pd.DataFrame(held, index=index, columns=symbols, dtype=float),
        rearms_per_bar=pd.Series(rearm_counts, index=index, dtype=int),
    )


def _trips(reasons: Iterable[Iterable[str]], *, held: set[str] | None = None) -> int:
    """Breakers that start to hold over successive decisions' ``reasons``.

    ``held``: the breakers named just before the first of them (not trips again).
    """
    trips, previous = 0, held or set()
    for why in reasons:
        named = breakers_named(why)
        trips += len(named - previous)
        previous = named
    return trips


@dataclass(frozen=True)
class _Held:
    """The forecast in force for an asset (it drives a position only when tradable)."""

    prediction: float
    confidence: float
    made_at: datetime
    tradable: bool
    model_version: str


def _forecast_rows(
    forecasts: pd.DataFrame, *, gated: bool
) -> list[tuple[str, datetime, str, float, float, bool, str]]:
    ordered = forecasts.sort_values("time", kind="stable")
    tradable = tradable_mask(ordered) if gated else np.ones(len(ordered), dtype=bool)
    versions = (
        ordered["model_version"].fillna("").astype(str)
        if "model_version" in ordered.columns
        else pd.Series("", index=ordered.index)
    )
    return [
        (
            str(symbol),
            pd.Timestamp(time).to_pydatetime(),
            str(horizon),
            float(prediction),
            float(confidence),
            bool(flag),
            version,
        )
        for symbol, time, horizon, prediction, confidence, flag, version in zip(
            ordered["symbol"],
            ordered["time"],
            ordered["horizon"],
            ordered["prediction"],
            ordered["confidence"],
            tradable,
            versions,
            strict=True,
        )
    ]


def _asset_returns(
    before: np.ndarray[Any, np.dtype[np.float64]], after: np.ndarray[Any, np.dtype[np.float64]]
) -> list[float]:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = after / before - 1.0
    return [float(value) if math.isfinite(value) else 0.0 for value in ratio]


def _drift(
    weights: dict[str, float], symbols: list[str], asset_returns: list[float], period: float
) -> dict[str, float]:
    growth = 1.0 + period
    if growth <= 0.0:
        return dict.fromkeys(symbols, 0.0)
    return {
        symbol: weights[symbol] * (1.0 + asset_return) / growth
        for symbol, asset_return in zip(symbols, asset_returns, strict=True)
    }


def _simulated_rearms(monitor: RiskMonitor, config: ReplayConfig, now: datetime) -> int:
    if config.rearm_after is None:
        return 0
    count = 0
    for name, trip in monitor.controller.latched.items():
        if now - trip.tripped_at < config.rearm_after:
            continue
        try:
            monitor.rearm(
                name,
                reason=f"replay: re-armed {config.rearm_after} after the trip",
                by="replay",
                now=now,
                parameters=config.parameters,
            )
        except BreakerError:
            continue
        count += 1
    return count
