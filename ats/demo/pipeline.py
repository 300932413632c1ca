"""The main job on embedded defaults: bundled bars → LEAN data → forecasts → risk → records.

Each step is a function of its inputs so the CLI can show progress between them and
tests can run them one by one. Nothing here decides anything itself: it wires the
market-data importer, the forecast engine's walk-forward, the promotion gates, the risk
engine's replay and the signal bus together, exactly as the live system wires them.

The bundled prices are daily, so they carry the 1d horizon only. For the 1h and 4h
horizons the demo also generates a synthetic hourly series (:mod:`ats.demo.hourly`,
clearly named, not market data) and walks the same forecast engine forward over it; its
forecasts are published and stored next to the stocks' but never traded by the replay.

Only proven models trade: every model version gets the status the automatic promotion
rule gives it (``risk_models.promotion``), forecasts of versions that are not live are
published and stored marked not tradable, and the system's runs never size them. The
same forecasts are also traded ungated, to show what trading every forecast would have
done.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from alpha_models.walk_forward import WalkForwardConfig
from ats.demo.config import DemoConfig
from ats.demo.hourly import (
    HOURLY_HORIZONS,
    SYNTHETIC_SYMBOLS,
    SyntheticHourlyConfig,
    write_synthetic_hourly,
)
from engines.evaluation.performance import PerformanceStats, performance_stats
from engines.forecast.research import EvaluationRun, run_evaluation, write_forecasts
from engines.forecast.sources import BarRequest
from engines.risk.evaluation import PriceSelection, load_closes, periods_per_year
from engines.risk.forecasts_file import read_forecasts
from engines.risk.replay import ReplayConfig, ReplayResult, replay
from market_data.bundled import load_bundled_daily
from market_data.importing import ImportConfig, SymbolImport, import_bars, plan_import
from market_data.lean import DATA_TIME_ZONES
from risk_models.parameters import StrategyParameters
from risk_models.promotion import tradable_mask
from signal_bus.horizon import Horizon
from signal_bus.messages import ForecastUpdate, Message, PortfolioSnapshot, RiskUpdate

HORIZON = "1d"
SECURITY_TYPE = "equity"
MARKET = "usa"
RESOLUTION = "daily"
HOURLY_RESOLUTION = "hour"
HOURLY_SCORED_MONTHS = 6
"""The generated hourly series is scored over its last months; before, it trains and calibrates."""
_ID_NAMESPACE = uuid.UUID("6f1c3f0e-3f57-4b8e-9f7e-4a1d2f0c9b11")

Tick = Callable[[int], None]


class DemoError(RuntimeError):
    """A demo step could not produce its result (the message says which and why)."""


@dataclass(frozen=True)
class RiskRuns:
    """The same forecasts traded by the sizing rule without and with the risk engine.

    ``unmanaged`` and ``managed`` are the gated system (only forecasts of live model
    versions are sized); ``every_unmanaged`` and ``every_managed`` size every forecast.
    """

    unmanaged: ReplayResult
    managed: ReplayResult
    every_unmanaged: ReplayResult
    every_managed: ReplayResult
    closes: pd.DataFrame
    periods_per_year: float

    def stats(self, result: ReplayResult) -> PerformanceStats:
        """Return the performance statistics of one run."""
        return performance_stats(result.returns, self.periods_per_year)

    @staticmethod
    def invested(result: ReplayResult) -> float:
        """Share of (bar, asset) pairs in which the run held a position."""
        weights = result.weights.to_numpy(dtype=float)
        return float((weights != 0.0).mean()) if weights.size else 0.0

    def buy_and_hold_returns(self) -> pd.Series:
        """Equal-weight, daily-rebalanced buy-and-hold of the same assets over the same bars."""
        scored = self.closes.loc[self.managed.returns.index[0] - pd.Timedelta(days=7) :]
        returns = scored.pct_change(fill_method=None).mean(axis=1, skipna=True)
        return returns.loc[self.managed.returns.index].fillna(0.0)


def import_bundled(config: DemoConfig, *, tick: Tick | None = None) -> list[SymbolImport]:
    """Write the bundled daily US stocks into the LEAN data folder."""
    request = ImportConfig(source="bundled", data_folder=config.data_folder, symbols=config.symbols)
    tasks = plan_import(request, today=dt.date.today())
    outcomes = import_bars(
        request, tasks, on_task_done=(lambda _task, rows: tick(rows)) if tick else None
    )
    failed = [outcome for outcome in outcomes if outcome.error]
    if failed:
        raise DemoError("; ".join(f"{o.symbol}: {o.error}" for o in failed))
    return outcomes


def imported_symbols(outcomes: list[SymbolImport]) -> tuple[str, ...]:
    """Return the symbols an import wrote, sorted."""
    return tuple(sorted(outcome.symbol for outcome in outcomes if outcome.rows))


@dataclass(frozen=True)
class HourlySeries:
    """The generated hourly series as written: symbols, bars per symbol, first and last bar."""

    symbols: tuple[str, ...]
    bars: dict[str, int]
    first: pd.Timestamp
    last: pd.Timestamp

    @property
    def score_start(self) -> pd.Timestamp:
        """First day whose hourly forecasts are scored, stored and shown."""
        return self.last.normalize() - pd.DateOffset(months=HOURLY_SCORED_MONTHS)


def generate_hourly(config: DemoConfig, symbols: tuple[str, ...]) -> HourlySeries:
    """Write the synthetic hourly series on the bundled stocks' trading days (last year)."""
    daily = load_bundled_daily(symbols)
    days = pd.DatetimeIndex(np.concatenate([frame.index.to_numpy() for frame in daily.values()]))
    settings = SyntheticHourlyConfig(symbols=SYNTHETIC_SYMBOLS, seed=config.seed)
    bars = write_synthetic_hourly(config.data_folder, days, config=settings, market=MARKET)
    last = days.max().normalize()
    first = last - pd.DateOffset(months=settings.months)
    return HourlySeries(symbols=settings.symbols, bars=bars, first=first, last=last)


def hourly_walk_forward(config: DemoConfig, series: HourlySeries, horizon: str) -> EvaluationRun:
    """Walk the forecast engine forward over the generated hourly series at ``horizon``.

    As for the stocks: no look-ahead, a version per retraining period, every version
    gated; the forecasts from :attr:`HourlySeries.score_start` on are scored.
    """
    request = BarRequest(
        source="lean",
        data_folder=config.data_folder,
        security_type=SECURITY_TYPE,
        market=MARKET,
        resolution=HOURLY_RESOLUTION,
        symbols=series.symbols,
    )
    walk_forward = WalkForwardConfig(
        horizon=Horizon(horizon),
        resolution=HOURLY_RESOLUTION,
        hours_per_day=request.hours_per_day,
        model=config.model,
        seed=config.seed,
        retrain_frequency=config.retrain_frequency,
    )
    run = run_evaluation(
        request,
        walk_forward,
        start=series.score_start,
        end=None,
        entry_confidence=StrategyParameters().entry_confidence,
        registry_folder=config.output_folder / "models",
    )
    if run.report.pooled["n"] == 0:
        raise DemoError(f"the forecast engine scored no {horizon} forecasts on the hourly series")
    return run


def hourly_walk_forwards(config: DemoConfig, series: HourlySeries) -> dict[str, EvaluationRun]:
    """:func:`hourly_walk_forward` at every horizon of :data:`HOURLY_HORIZONS`."""
    return {horizon: hourly_walk_forward(config, series, horizon) for horizon in HOURLY_HORIZONS}


def forecast_walk_forward(config: DemoConfig, symbols: tuple[str, ...]) -> EvaluationRun:
    """Walk the forecast engine forward, gate every model version, score from ``score_start``.

    The gates run with their defaults (``risk_models.gates.GateConfig``) on the whole
    record, the part before ``score_start`` included; the forecasts file carries each
    forecast's ``status`` and ``tradable``.
    """
    request = BarRequest(
        source="lean",
        data_folder=config.data_folder,
        security_type=SECURITY_TYPE,
        market=MARKET,
        resolution=RESOLUTION,
        symbols=symbols,
    )
    walk_forward = WalkForwardConfig(
        horizon=Horizon(HORIZON),
        resolution=RESOLUTION,
        hours_per_day=request.hours_per_day,
        model=config.model,
        seed=config.seed,
        retrain_frequency=config.retrain_frequency,
    )
    run = run_evaluation(
        request,
        walk_forward,
        start=pd.Timestamp(config.score_start),
        end=None,
        entry_confidence=StrategyParameters().entry_confidence,
        registry_folder=config.output_folder / "models",
    )
    if run.report.pooled["n"] == 0:
        raise DemoError("the forecast engine scored no forecasts: too little history")
    write_forecasts(run.forecasts, config.output_folder / "forecasts.csv")
    return run


def risk_replay(config: DemoConfig, symbols: tuple[str, ...]) -> RiskRuns:
    """Trade the recorded forecasts with the sizing rule, without and with the risk engine.

    Each twice: gated (the system: only tradable forecasts are sized) and every forecast.
    The two managed replays dominate the time (GARCH volatility per bar), so the ungated
    one runs in a second process while this one runs the gated one.
    """
    forecasts = read_forecasts(
        config.output_folder / "forecasts.csv", time_zone=DATA_TIME_ZONES[SECURITY_TYPE]
    )
    selection = PriceSelection(
        data_folder=config.data_folder,
        security_type=SECURITY_TYPE,
        market=MARKET,
        symbols=symbols,
        resolution=RESOLUTION,
        start=config.score_start.isoformat(),
    )
    closes = load_closes(selection)
    periods = periods_per_year(pd.DatetimeIndex(closes.index))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        every_managed = pool.submit(
            replay, forecasts, closes, ReplayConfig(managed=True, gated=False)
        )
        managed = replay(forecasts, closes, ReplayConfig(managed=True))
        return RiskRuns(
            unmanaged=replay(forecasts, closes, ReplayConfig(managed=False)),
            managed=managed,
            every_unmanaged=replay(forecasts, closes, ReplayConfig(managed=False, gated=False)),
            every_managed=every_managed.result(),
            closes=closes,
            periods_per_year=periods,
        )


def _stable_id(*parts: object) -> str:
    """A message id that is the same on every run, so storing a rerun adds no rows."""
    return uuid.uuid5(_ID_NAMESPACE, "|".join(str(part) for part in parts)).hex


def _utc(moment: Any) -> dt.datetime:
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize(DATA_TIME_ZONES[SECURITY_TYPE]) if stamp.tzinfo is None else stamp
    return stamp.tz_convert("UTC").to_pydatetime()


def forecast_messages(
    run: EvaluationRun, run_key: str, horizon: str = HORIZON
) -> Iterator[ForecastUpdate]:
    """The walk-forward's forecasts as the engine publishes them live, marked tradable or not."""
    frame = run.forecasts
    for symbol, time, prediction, confidence, version, tradable in zip(
        frame["symbol"],
        frame["time"],
        frame["prediction"],
        frame["confidence"],
        frame["model_version"],
        tradable_mask(frame),
        strict=True,
    ):
        made_at = _utc(time)
        yield ForecastUpdate(
            id=_stable_id(run_key, "forecast", symbol, made_at.isoformat(), horizon, version),
            ts_event=made_at,
            ts_init=made_at,
            asset=str(symbol),
            horizon=horizon,
            prediction=float(prediction),
            confidence=float(confidence),
            model=str(run.report.settings.get("model", "")),
            model_version=str(version),
            tradable=bool(tradable),
        )


def risk_messages(runs: RiskRuns, run_key: str) -> Iterator[RiskUpdate]:
    """The gated managed run's risk decisions, one per bar, as the risk engine publishes them."""
    managed = runs.managed
    for position, (time, factor) in enumerate(managed.risk_factors.items()):
        moment = _utc(time)
        why = tuple(str(reason) for reason in managed.reasons.iloc[position])
        yield RiskUpdate(
            id=_stable_id(run_key, "risk", moment.isoformat()),
            ts_event=moment,
            ts_init=moment,
            risk_factor=float(np.clip(factor, 0.0, 1.0)),
            state=str(managed.states.iloc[position]),
            reasons=why,
            inputs={},
        )


def portfolio_messages(
    runs: RiskRuns, run_key: str, *, starting_equity: float = 100_000.0
) -> Iterator[PortfolioSnapshot]:
    """The gated managed run's simulated portfolio, one snapshot per bar (holdings in shares)."""
    returns = runs.managed.returns
    equity = starting_equity * (1.0 + returns).cumprod()
    peak = equity.cummax()
    # Weights set at the previous bar end were held over each period; value them at its end.
    held = runs.managed.weights.shift(1).loc[equity.index].fillna(0.0)
    for time, value, high in zip(equity.index, equity.to_numpy(), peak.to_numpy(), strict=True):
        moment = _utc(time)
        positions = {
            str(symbol): float(weight * value)
            for symbol, weight in held.loc[time].items()
            if weight != 0.0
        }
        prices = runs.closes.loc[time]
        holdings = {symbol: worth / float(prices[symbol]) for symbol, worth in positions.items()}
        yield PortfolioSnapshot(
            id=_stable_id(run_key, "portfolio", moment.isoformat()),
            ts_event=moment,
            ts_init=moment,
            equity=float(value),
            cash=float(value - sum(positions.values())),
            holdings=holdings,
            drawdown=float(1.0 - value / high) if high > 0 else 0.0,
        )


def all_messages(
    run: EvaluationRun,
    runs: RiskRuns,
    run_key: str,
    hourly: dict[str, EvaluationRun] | None = None,
) -> list[Message]:
    """Every message the demo publishes, in time order per channel.

    ``hourly``: the generated hourly series' runs by horizon; their forecasts join the
    stocks' on ``forecast_updates``. Ids derive from ``run_key`` and the message's
    content, so storing the same run twice adds nothing and different runs never
    overwrite each other.
    """
    forecasts = [*forecast_messages(run, run_key)]
    for horizon, hourly_run in (hourly or {}).items():
        forecasts += forecast_messages(hourly_run, run_key, horizon)
    forecasts.sort(key=lambda message: message.ts_event)
    return [
        *forecasts,
        *risk_messages(runs, run_key),
        *portfolio_messages(runs, run_key),
    ]
