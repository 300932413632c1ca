"""Walk forward over loaded bars and score the forecasts (``ats forecast evaluate``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.registry import ModelRegistry
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from engines.forecast.evaluation import EvaluationReport, evaluate_forecasts, periods_per_year
from engines.forecast.sources import BarRequest, load_bars, next_returns_table

FORECAST_FILE_COLUMNS: tuple[str, ...] = (
    "symbol",
    "time",
    "horizon",
    "prediction",
    "confidence",
    "model_version",
)


@dataclass(frozen=True)
class EvaluationRun:
    """A scored walk-forward run: the report and the scored forecasts."""

    report: EvaluationReport
    forecasts: pd.DataFrame


def run_evaluation(
    request: BarRequest,
    config: WalkForwardConfig,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp | None,
    entry_confidence: float,
    registry_folder: Path | None = None,
    on_period: Callable[[int, int], None] | None = None,
) -> EvaluationRun:
    """Load bars, walk forward over all history and score forecasts made from ``start`` on."""
    frames = load_bars(request)
    panel = BarPanel.from_frames(frames)
    registry = ModelRegistry(registry_folder) if registry_folder is not None else None
    forecasts = WalkForwardTrainer(config, registry=registry).run(panel, on_period=on_period)
    scored = forecasts[forecasts["time"] >= start]
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
        next_returns_table(frames),
        start=start,
        end=end,
        entry_confidence=entry_confidence,
        periods=periods,
        settings=settings,
    )
    return EvaluationRun(report=report, forecasts=scored.reset_index(drop=True))


def write_forecasts(forecasts: pd.DataFrame, path: Path) -> int:
    """Write ``symbol,time,horizon,prediction,confidence,model_version`` rows; return the count."""
    table = forecasts.loc[:, list(FORECAST_FILE_COLUMNS)].copy()
    table["time"] = pd.DatetimeIndex(table["time"]).strftime("%Y-%m-%dT%H:%M:%S")
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.10g")
    return len(table)
