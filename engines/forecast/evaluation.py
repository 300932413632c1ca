"""Score walk-forward forecasts per symbol and pooled, and summarize the promotion gates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engines.forecast.cross_section import MIN_ASSETS, cross_section_report
from engines.forecast.metrics import forecast_quality
from engines.forecast.strategy import SWEEP_THRESHOLDS, buy_and_hold, every_forecast, simulate
from risk_models.gates import GateConfig
from risk_models.promotion import ModelStatus, PeriodDecision, tradable_mask


@dataclass(frozen=True)
class EvaluationReport:
    """Pooled and per-symbol scores of a walk-forward run, and its gate verdicts."""

    pooled: dict[str, Any]
    per_symbol: dict[str, dict[str, Any]]
    settings: dict[str, Any]
    gates: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as one JSON-safe mapping."""
        return {
            "settings": self.settings,
            "pooled": self.pooled,
            "per_symbol": self.per_symbol,
            "gates": self.gates,
        }


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
    """Score one set of forecasts (one symbol or several pooled).

    ``strategy`` is the sizing rule on the tradable forecasts only (rows whose
    ``tradable`` is false hold no position), ``every_forecast`` the same rule on every
    forecast; the threshold sweep trades every forecast (it explores the model, not
    the gated system).
    """
    quality = forecast_quality(forecasts).to_dict()
    ungated = every_forecast(forecasts)
    gated = simulate(forecasts, entry_confidence, periods)
    every = simulate(ungated, entry_confidence, periods)
    sweep = [simulate(ungated, threshold, periods).to_dict() for threshold in thresholds]
    return {
        **quality,
        "tradable_share": float(tradable_mask(forecasts).mean()) if len(forecasts) else None,
        "strategy": gated.to_dict(),
        "every_forecast": every.to_dict(),
        "buy_and_hold": buy_and_hold(forecasts, periods).to_dict(),
        "threshold_sweep": sweep,
    }


def gate_summary(
    decisions: Sequence[PeriodDecision], scored: pd.DataFrame, config: GateConfig
) -> dict[str, Any]:
    """Summarize the lifecycle decisions of a walk-forward run.

    Parameters
    ----------
    decisions
        One decision per model version in time order (``gate_walk_forward``).
    scored
        The scored forecasts (with ``tradable``).
    config
        The gate thresholds that were applied.

    Returns
    -------
    dict
        ``config``; ``newest`` (the newest version's status, rule, reasons and every
        gate's statistic, threshold and verdict); ``decisions`` (version, valid_from,
        status, rule, reasons of each version); ``status_counts``; ``first_live`` (the
        first version that went live, or ``None``); ``tradable_share`` (of the scored
        forecasts).
    """
    counts = {str(status): 0 for status in ModelStatus}
    for entry in decisions:
        counts[str(entry.decision.status)] += 1
    first_live = next(
        (entry for entry in decisions if entry.decision.status is ModelStatus.LIVE), None
    )
    newest: dict[str, Any] | None = None
    if decisions:
        last = decisions[-1]
        report = last.decision.gates
        shadow = last.decision.shadow
        newest = {
            "version": last.version,
            "valid_from": last.valid_from.isoformat(),
            "status": str(last.decision.status),
            "rule": last.decision.rule,
            "reasons": list(last.decision.reasons),
            "passed": report.passed,
            "dates": report.dates,
            "rows": report.rows,
            "gates": [result.to_dict() for result in report.results],
            "shadow": None if shadow is None else shadow.to_dict(),
            "figures": report.to_dict()["figures"],
        }
    return {
        "config": config.to_dict(),
        "newest": newest,
        "decisions": [
            {
                "version": entry.version,
                "valid_from": entry.valid_from.isoformat(),
                "status": str(entry.decision.status),
                "rule": entry.decision.rule,
                "reasons": list(entry.decision.reasons),
            }
            for entry in decisions
        ],
        "status_counts": counts,
        "first_live": None
        if first_live is None
        else {"version": first_live.version, "valid_from": first_live.valid_from.isoformat()},
        "tradable_share": float(tradable_mask(scored).mean()) if len(scored) else None,
    }


def evaluate_forecasts(
    forecasts: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp | None,
    entry_confidence: float,
    periods: float,
    settings: dict[str, Any],
    gates: dict[str, Any] | None = None,
    min_assets: int = MIN_ASSETS,
    bootstrap: GateConfig | None = None,
    horizon_bars: int = 1,
) -> EvaluationReport:
    """Score forecasts made at or after ``start`` (and at or before ``end``).

    Parameters
    ----------
    forecasts
        Walk-forward output with ``next_return`` (``symbol``, ``time``, ``prediction``,
        ``confidence``, ``forward_return``, ``next_return`` and optionally ``tradable``).
    gates
        The :func:`gate_summary` of the run; the pooled ``gated`` and ``every_forecast``
        strategy figures are added to it.
    min_assets
        Fewest resolved forecasts on a date for its cross-sectional rank IC.
    bootstrap
        Bootstrap settings (samples, block length, seed) of the cross-sectional IC's t;
        default: the gates' ``config`` when given, else :class:`GateConfig`.
    horizon_bars
        The horizon in bars: the shortest bootstrap block (overlapping outcomes).

    The pooled scores gain ``cross_sectional_rank_ic``, ``common_variance_share`` and
    ``by_year`` (:func:`engines.forecast.cross_section.cross_section_report`).
    """
    chosen = forecasts[forecasts["time"] >= start]
    if end is not None:
        chosen = chosen[chosen["time"] <= end]
    if bootstrap is None:
        bootstrap = (
            GateConfig.from_dict(gates["config"]) if gates and "config" in gates else GateConfig()
        )
    pooled = score(chosen, entry_confidence=entry_confidence, periods=periods)
    pooled.update(
        cross_section_report(
            chosen,
            min_assets=min_assets,
            config=bootstrap,
            horizon_bars=horizon_bars,
        )
    )
    per_symbol = {
        str(symbol): score(group, entry_confidence=entry_confidence, periods=periods)
        for symbol, group in chosen.groupby("symbol", sort=True)
    }
    summary = dict(gates or {})
    summary["gated"] = pooled["strategy"]
    summary["every_forecast"] = pooled["every_forecast"]
    return EvaluationReport(pooled=pooled, per_symbol=per_symbol, settings=settings, gates=summary)
