"""Walk forward over loaded bars, gate the model versions and score the forecasts.

``ats forecast evaluate``: the walk-forward runs over the whole history; every forecast
gets the next bar's return and the status its model version had under the automatic
promotion rule (``risk_models.promotion.gate_walk_forward``, decided without
look-ahead on the record known at the version's first forecast, including the record
before the scored period); then the forecasts from ``start`` on are scored, the sizing
rule trading only the tradable (live) ones and, for comparison, every one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.registry import ModelRegistry
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from engines.forecast.evaluation import (
    EvaluationReport,
    evaluate_forecasts,
    gate_summary,
    periods_per_year,
)
from engines.forecast.sources import BarRequest, load_bars, next_returns_table
from risk_models.gates import GateConfig
from risk_models.promotion import PeriodDecision, gate_walk_forward, tradable_mask

FORECAST_FILE_COLUMNS: tuple[str, ...] = (
    "symbol",
    "time",
    "horizon",
    "prediction",
    "confidence",
    "model_version",
)
GATE_FILE_COLUMNS: tuple[str, ...] = ("status", "tradable")
"""Written after :data:`FORECAST_FILE_COLUMNS` when the forecasts carry them."""


@dataclass(frozen=True)
class EvaluationRun:
    """A scored walk-forward run: the report, the scored forecasts and the versions' decisions.

    ``forecasts`` carry ``next_return``, ``status`` and ``tradable``; ``decisions`` hold
    one lifecycle decision per model version of the whole history, in time order.
    """

    report: EvaluationReport
    forecasts: pd.DataFrame
    decisions: tuple[PeriodDecision, ...] = ()


def run_evaluation(
    request: BarRequest,
    config: WalkForwardConfig,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp | None,
    entry_confidence: float,
    registry_folder: Path | None = None,
    on_period: Callable[[int, int], None] | None = None,
    gates: GateConfig | None = None,
) -> EvaluationRun:
    """Load bars, walk forward over all history, gate every version, score from ``start`` on.

    ``gates`` defaults to :class:`GateConfig` with the sizing rule's ``entry_confidence``.
    """
    gate_config = gates if gates is not None else GateConfig(entry_confidence=entry_confidence)
    frames = load_bars(request)
    panel = BarPanel.from_frames(frames)
    registry = ModelRegistry(registry_folder) if registry_folder is not None else None
    forecasts = WalkForwardTrainer(config, registry=registry).run(panel, on_period=on_period)
    record = forecasts.merge(next_returns_table(frames), on=["symbol", "bar_time"], how="left")
    gated, decisions = gate_walk_forward(record, gate_config, horizon_bars=config.horizon_bars)
    scored = gated[gated["time"] >= start]
    if end is not None:
        scored = scored[scored["time"] <= end]
    periods = periods_per_year(request.security_type, request.resolution)
    settings = {
        "source": request.source,
        "security_type": request.security_type,
        "market": request.market,
        "resolution": request.resolution,
        "symbols": sorted(frames),
        "horizon": config.horizon.name,
        "model": config.model,
        "seed": config.seed,
        "retrain_frequency": config.retrain_frequency,
        "start": start.isoformat(),
        "end": end.isoformat() if end is not None else None,
        "entry_confidence": entry_confidence,
        "periods_per_year": periods,
    }
    report = evaluate_forecasts(
        scored,
        start=start,
        end=end,
        entry_confidence=entry_confidence,
        periods=periods,
        settings=settings,
        gates=gate_summary(decisions, scored, gate_config),
        horizon_bars=config.horizon_bars,
    )
    return EvaluationRun(
        report=report, forecasts=scored.reset_index(drop=True), decisions=tuple(decisions)
    )


def write_forecasts(forecasts: pd.DataFrame, path: Path) -> int:
    """Write ``symbol,time,horizon,prediction,confidence,model_version[,status,tradable]`` rows.

    ``status`` and ``tradable`` (``true``/``false``) are written when the forecasts carry
    them (a gated run always does). Returns the number of rows.
    """
    extra = [column for column in GATE_FILE_COLUMNS if column in forecasts.columns]
    table = forecasts.loc[:, [*FORECAST_FILE_COLUMNS, *extra]].copy()
    table["time"] = pd.DatetimeIndex(table["time"]).strftime("%Y-%m-%dT%H:%M:%S")
    if "tradable" in table.columns:
        table["tradable"] = np.where(tradable_mask(table), "true", "false")
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.10g")
    return len(table)
