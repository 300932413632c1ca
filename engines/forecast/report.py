"""Render an evaluation report as tables or JSON."""

from __future__ import annotations

import json
import math
from typing import Any

from rich.console import Console
from rich.table import Table

from engines.forecast.evaluation import EvaluationReport


def json_safe(value: Any) -> Any:
    """Replace NaN and infinities with ``None`` throughout nested data."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def report_json(report: EvaluationReport) -> str:
    """Return the report as one JSON object."""
    return json.dumps(json_safe(report.to_dict()), allow_nan=False, sort_keys=True)


def _number(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def render(report: EvaluationReport, console: Console) -> None:
    """Print the summary, the pooled reliability table and the threshold sweep."""
    summary = Table(title="Forecast evaluation (out of sample)")
    for column in (
        "symbol",
        "n",
        "IC",
        "rank IC",
        "hit rate",
        "Brier",
        "ECE",
        "Sharpe",
        "max DD",
        "turnover/yr",
        "invested",
        "B&H Sharpe",
        "B&H max DD",
    ):
        summary.add_column(column, justify="right")
    rows = [*report.per_symbol.items(), ("pooled", report.pooled)]
    for name, scores in rows:
        strategy, hold = scores["strategy"], scores["buy_and_hold"]
        summary.add_row(
            name,
            _number(scores["n"]),
            _number(scores["ic"], 4),
            _number(scores["rank_ic"], 4),
            _number(scores["hit_rate"]),
            _number(scores["brier"], 4),
            _number(scores["ece"], 4),
            _number(strategy["sharpe"], 2),
            _number(strategy["max_drawdown"]),
            _number(strategy["turnover"], 1),
            _number(strategy["share_invested"], 2),
            _number(hold["sharpe"], 2),
            _number(hold["max_drawdown"]),
        )
    console.print(summary)
    reliability = Table(title="Reliability (pooled)")
    for column in ("confidence bin", "count", "mean confidence", "hit rate"):
        reliability.add_column(column, justify="right")
    for row in report.pooled["reliability"]:
        reliability.add_row(
            f"{row['low']:.1f}-{row['high']:.1f}",
            str(row["count"]),
            _number(row["mean_confidence"]),
            _number(row["hit_rate"]),
        )
    console.print(reliability)
    sweep = Table(title="Entry threshold sweep (pooled)")
    for column in ("entry confidence", "Sharpe", "max DD", "CAGR", "turnover/yr", "invested"):
        sweep.add_column(column, justify="right")
    for row in report.pooled["threshold_sweep"]:
        sweep.add_row(
            f"{row['entry_confidence']:.2f}",
            _number(row["sharpe"], 2),
            _number(row["max_drawdown"]),
            _number(row["cagr"]),
            _number(row["turnover"], 1),
            _number(row["share_invested"], 2),
        )
    console.print(sweep)
    settings = report.settings
    console.print(
        f"model {settings['model']}, horizon {settings['horizon']}, entry confidence "
        f"{settings['entry_confidence']}, scored from {settings['start']}"
    )
