"""Score walk-forward forecasts per symbol and pooled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from engines.forecast.metrics import forecast_quality
from engines.forecast.strategy import SWEEP_THRESHOLDS, buy_and_hold, simulate


@dataclass(frozen=True)
class EvaluationReport:
    """Pooled and per-symbol scores of a walk-forward run."""

    pooled: dict[str, Any]
    per_symbol: dict[str, dict[str, Any]]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as one JSON-safe mapping."""
        return {"settings": self.settings, "pooled": self.pooled, "per_symbol": self.per_symbol}


def periods_per_year(security_type: str, resolution: str) -> float:
    """Return bars per year: 252 trading days (7 hourly bars each) for equities, 365 x 24 for crypto."""
    days = 252.0 if security_type == "equity" else 365.0
    if resolution == "daily":
        return days
    if resolution == "hour":
        return days * (7.0 if security_type == "equity" else 24.0)
    raise ValueError(f"unsupported resolution {resolution!r}")


def score(
    forecasts: pd.DataFrame,
    *,
    entry_confidence: float,
    periods: float,
    thresholds: Sequence[float] = SWEEP_THRESHOLDS,
) -> dict[str, Any]:
    """Score one set of forecasts (one symbol or several pooled)."""
    quality = forecast_quality(forecasts).to_dict()
    chosen = simulate(forecasts, entry_confidence, periods)
    sweep = [simulate(forecasts, threshold, periods).to_dict() for threshold in thresholds]
    return {
        **quality,
        "strategy": chosen.to_dict(),
        "buy_and_hold": buy_and_hold(forecasts, periods).to_dict(),
        "threshold_sweep": sweep,
    }


def evaluate_forecasts(
    forecasts: pd.DataFrame,
    next_returns: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp | None,
    entry_confidence: float,
    periods: float,
    settings: dict[str, Any],
) -> EvaluationReport:
    """Score forecasts made at or after ``start`` (and at or before ``end``).

    Parameters
    ----------
    forecasts
        Walk-forward output (``symbol``, ``time``, ``bar_time``, ``prediction``,
        ``confidence``, ``forward_return`` ...).
    next_returns
        Columns ``symbol``, ``bar_time``, ``next_return``.
    """
    chosen = forecasts[forecasts["time"] >= start]
    if end is not None:
        chosen = chosen[chosen["time"] <= end]
    joined = chosen.merge(next_returns, on=["symbol", "bar_time"], how="left")
    pooled = score(joined, entry_confidence=entry_confidence, periods=periods)
    per_symbol = {
        str(symbol): score(group, entry_confidence=entry_confidence, periods=periods)
        for symbol, group in joined.groupby("symbol", sort=True)
    }
    return EvaluationReport(pooled=pooled, per_symbol=per_symbol, settings=settings)
