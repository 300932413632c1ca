"""``ats risk evaluate``: the same forecasts and prices with and without the risk engine."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from engines.evaluation.performance import performance_stats
from engines.risk.forecasts_file import read_forecasts
from engines.risk.replay import ReplayConfig, ReplayResult, replay
from market_data.lean import DATA_TIME_ZONES, read_bars
from risk_models.promotion import no_live_model_reason, tradable_mask

SECONDS_PER_YEAR = 365.25 * 86_400.0


@dataclass(frozen=True)
class PriceSelection:
    """Which bars to read from a LEAN data folder."""

    data_folder: Path
    security_type: str
    market: str
    symbols: tuple[str, ...]
    resolution: str
    start: str | None = None
    end: str | None = None


def load_closes(selection: PriceSelection) -> pd.DataFrame:
    """Return close prices indexed by UTC bar end time, one column per symbol."""
    return load_prices(selection)["close"]


def load_prices(selection: PriceSelection) -> dict[str, pd.DataFrame]:
    """Return ``open`` and ``close`` frames indexed by UTC bar end time, a column per symbol."""
    zone = DATA_TIME_ZONES[selection.security_type]
    columns: dict[str, dict[str, pd.Series]] = {"open": {}, "close": {}}
    for symbol in selection.symbols:
        bars = read_bars(
            selection.data_folder,
            security_type=selection.security_type,
            market=selection.market,
            symbol=symbol,
            resolution=selection.resolution,
            start=selection.start,
            end=selection.end,
        )
        ends = pd.DatetimeIndex(bars["end_time"]).tz_localize(zone).tz_convert("UTC")
        for field in ("open", "close"):
            values = bars[field].to_numpy(dtype=float)
            columns[field][symbol.upper()] = pd.Series(values, index=ends)
    frames: dict[str, pd.DataFrame] = {}
    for field, series in columns.items():
        frame = pd.DataFrame(series).sort_index()
        frames[field] = frame[~frame.index.duplicated(keep="last")]
    return frames


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """Bars per year observed in ``index`` (252-ish for US equity daily, 365 for crypto)."""
    span = (index[-1] - index[0]).total_seconds()
    if len(index) < 2 or span <= 0:
        raise ValueError("need at least two distinct bar times")
    return (len(index) - 1) / (span / SECONDS_PER_YEAR)


def summarize(result: ReplayResult, periods: float) -> dict[str, Any]:
    """Return the JSON summary of one replay."""
    stats = performance_stats(result.returns, periods)
    return {
        "cagr": _finite_or_none(stats.cagr),
        "sharpe": _finite_or_none(stats.sharpe),
        "max_drawdown": _finite_or_none(stats.max_drawdown),
        "total_return": _finite_or_none(stats.total_return),
        "volatility": _finite_or_none(stats.volatility),
        "time_in_state": result.time_in_state(),
        "breaker_trips": result.breaker_trips,
        "rearms": result.rearms,
        "mean_risk_factor": float(result.risk_factors.mean()),
    }


def evaluate(
    forecasts_path: str | Path, selection: PriceSelection, config: ReplayConfig
) -> dict[str, Any]:
    """Replay with and without risk management; return both summaries and the goal check.

    The goal (managed max drawdown at most half the unmanaged one, keeping at least
    80 % of its Sharpe ratio) is reported, not tuned for.

    Without ``selection.start`` the figures are measured from the first forecast: the
    bars before it are still replayed (they give the engine its price history) but a
    stretch with nothing to trade would only dilute both runs, and the managed one
    would count it as time in ``reducing`` (no forecasts yet reads as stale forecasts).

    With ``config.gated`` (the default) forecasts whose ``tradable`` column is false are
    never sized; the report says which mode ran (``gated``), how many forecasts were
    tradable, and on how many measured bars each asset had no live model.
    """
    forecasts = read_forecasts(forecasts_path, time_zone=DATA_TIME_ZONES[selection.security_type])
    wanted = {symbol.upper() for symbol in selection.symbols}
    forecasts = forecasts[forecasts["symbol"].isin(wanted)]
    prices = load_prices(selection)
    closes = prices["close"]
    measured_from = pd.Timestamp(closes.index[0])
    if selection.start is None and len(forecasts):
        measured_from = max(measured_from, pd.Timestamp(forecasts["time"].min()))
    runs = {
        name: replay(
            forecasts, closes, _with(config, managed=name == "managed"), prices["open"]
        ).since(measured_from)
        for name in ("unmanaged", "managed")
    }
    measured = pd.DatetimeIndex(runs["managed"].states.index)
    periods = periods_per_year(measured)
    unmanaged = summarize(runs["unmanaged"], periods)
    managed = summarize(runs["managed"], periods)
    tradable = int(tradable_mask(forecasts).sum()) if config.gated else len(forecasts)
    return {
        "gated": config.gated,
        "unmanaged": unmanaged,
        "managed": managed,
        "goal": _goal(unmanaged, managed),
        "bars": len(measured),
        "warm_up_bars": len(closes) - len(measured),
        "measured_from": measured[0].isoformat(),
        "forecasts": len(forecasts),
        "tradable_forecasts": tradable,
        "no_live_model_bars": no_live_model_bars(runs["managed"], list(closes.columns)),
        "periods_per_year": periods,
    }


def _with(config: ReplayConfig, *, managed: bool) -> ReplayConfig:
    return replace(config, managed=managed)


def no_live_model_bars(result: ReplayResult, symbols: Sequence[object]) -> dict[str, int]:
    """Return, per symbol, on how many bars the managed replay reported no live model for it."""
    reasons = [set(why) for why in result.reasons]
    return {
        str(symbol): sum(no_live_model_reason(str(symbol)) in why for why in reasons)
        for symbol in symbols
    }


def _goal(unmanaged: dict[str, Any], managed: dict[str, Any]) -> dict[str, Any]:
    drawdown_ratio = _ratio(managed["max_drawdown"], unmanaged["max_drawdown"])
    sharpe_ratio = _ratio(managed["sharpe"], unmanaged["sharpe"])
    return {
        "drawdown_ratio": drawdown_ratio,
        "sharpe_ratio": sharpe_ratio,
        "drawdown_met": drawdown_ratio is not None and drawdown_ratio <= 0.5,
        "sharpe_met": sharpe_ratio is not None
        and unmanaged["sharpe"] is not None
        and unmanaged["sharpe"] > 0
        and sharpe_ratio >= 0.8,
    }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def parse_symbols(text: str | Sequence[str]) -> tuple[str, ...]:
    """Split ``"SPY,AAPL"`` (or several options) into symbols."""
    parts = [text] if isinstance(text, str) else list(text)
    symbols = tuple(s.strip().upper() for part in parts for s in part.split(",") if s.strip())
    if not symbols:
        raise ValueError("no symbols given")
    return symbols
