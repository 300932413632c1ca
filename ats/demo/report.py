"""The demo's summary: one table in the terminal, and a PNG + HTML report on disk."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ats.demo.pipeline import RiskRuns
from engines.evaluation.performance import (
    PerformanceStats,
    drawdown_series,
    equity_curve,
    performance_stats,
)
from engines.forecast.research import EvaluationRun


@dataclass(frozen=True)
class Summary:
    """The numbers the demo ends with."""

    forecast: dict[str, float | None]
    unmanaged: PerformanceStats
    managed: PerformanceStats
    buy_and_hold: PerformanceStats
    managed_breaker_trips: int
    managed_time_in_state: dict[str, float]

    def rows(self) -> list[tuple[str, ...]]:
        """Rows of (metric, sizing rule, sizing rule + risk engine, buy-and-hold)."""
        runs = (self.unmanaged, self.managed, self.buy_and_hold)
        return [
            ("CAGR", *(_percent(run.cagr) for run in runs)),
            ("Sharpe ratio", *(_number(run.sharpe) for run in runs)),
            ("Max drawdown", *(_percent(run.max_drawdown) for run in runs)),
            ("Volatility (annual)", *(_percent(run.volatility) for run in runs)),
        ]

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-safe values."""
        return {
            "forecast": self.forecast,
            "unmanaged": self.unmanaged.to_dict(),
            "managed": self.managed.to_dict(),
            "buy_and_hold": self.buy_and_hold.to_dict(),
            "managed_breaker_trips": self.managed_breaker_trips,
            "managed_time_in_state": self.managed_time_in_state,
        }


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100.0 * value:.1f} %"


def summarize(run: EvaluationRun, runs: RiskRuns) -> Summary:
    """Collect forecast quality and the three equity curves' statistics."""
    pooled = run.report.pooled
    return Summary(
        forecast={
            name: pooled.get(name) for name in ("n", "ic", "rank_ic", "hit_rate", "brier", "ece")
        },
        unmanaged=runs.stats(runs.unmanaged),
        managed=runs.stats(runs.managed),
        buy_and_hold=performance_stats(runs.buy_and_hold_returns(), runs.periods_per_year),
        managed_breaker_trips=runs.managed.breaker_trips,
        managed_time_in_state=runs.managed.time_in_state(),
    )


def forecast_rows(summary: Summary) -> list[tuple[str, ...]]:
    """Rows of (metric, value) for the forecast quality table."""
    quality = summary.forecast
    return [
        ("Scored forecasts", _number(quality.get("n"), 0)),
        ("Information coefficient", _number(quality.get("ic"), 3)),
        ("Rank IC", _number(quality.get("rank_ic"), 3)),
        ("Hit rate", _percent(quality.get("hit_rate"))),
        ("Calibration error (ECE)", _number(quality.get("ece"), 3)),
    ]


def write_figure(run: EvaluationRun, runs: RiskRuns, path: Path) -> Path:
    """Draw equity, drawdown, risk factor and the reliability diagram into one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    curves = {
        "sizing rule": runs.unmanaged.returns,
        "sizing rule + risk engine": runs.managed.returns,
        "buy-and-hold (equal weight)": runs.buy_and_hold_returns(),
    }
    figure, axes = plt.subplots(2, 2, figsize=(13, 8), constrained_layout=True)
    equity_axis, drawdown_axis, factor_axis, reliability_axis = axes.ravel()
    for label, returns in curves.items():
        equity = equity_curve(returns)
        equity_axis.plot(equity.index, equity.to_numpy(), label=label, linewidth=1.1)
        drawdown = drawdown_series(equity)
        drawdown_axis.plot(drawdown.index, -drawdown.abs().to_numpy(), label=label, linewidth=1.0)
    equity_axis.set_title("Equity (growth of 1)")
    equity_axis.set_yscale("log")
    equity_axis.legend(fontsize=8)
    drawdown_axis.set_title("Drawdown")
    factor_axis.plot(
        runs.managed.risk_factors.index, runs.managed.risk_factors.to_numpy(), linewidth=0.8
    )
    factor_axis.set_ylim(-0.05, 1.05)
    factor_axis.set_title("Risk factor (risk engine)")
    table = run.report.pooled.get("reliability", [])
    rows = [row for row in table if row.get("count")]
    if rows:
        confidence = [row["mean_confidence"] for row in rows]
        observed = [row["hit_rate"] for row in rows]
        reliability_axis.plot([0.4, 0.8], [0.4, 0.8], color="grey", linestyle="--", linewidth=0.8)
        reliability_axis.scatter(
            confidence, observed, s=[max(8.0, row["count"] / 20) for row in rows]
        )
    for axis in (equity_axis, drawdown_axis, factor_axis):
        locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
        axis.xaxis.set_major_locator(locator)
        axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    reliability_axis.set_title("Reliability: confidence vs hit rate (out of sample)")
    reliability_axis.set_xlabel("mean confidence in bin")
    reliability_axis.set_ylabel("observed hit rate")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_html(summary: Summary, figure: Path, path: Path, *, settings: dict[str, Any]) -> Path:
    """Write a one-page HTML report with the tables and the figure embedded."""
    image = base64.b64encode(figure.read_bytes()).decode("ascii")

    def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    setting_rows = [(str(key), str(value)) for key, value in settings.items()]
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Adaptive Trading System: demo report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.3rem .7rem;text-align:right}}
th:first-child,td:first-child{{text-align:left}}img{{max-width:100%}}</style></head><body>
<h1>Adaptive Trading System: demo report</h1>
<p>Walk-forward forecasts on the bundled daily US stocks, traded by the sizing rule with and without
the risk engine. Every number is out of sample.</p>
<h2>Forecast quality</h2>{table(("metric", "value"), forecast_rows(summary))}
<h2>Trading</h2>{table(("metric", "sizing rule", "sizing rule + risk engine", "buy-and-hold"), summary.rows())}
<p>Risk engine: {summary.managed_breaker_trips} breaker trips; time in state:
{html.escape(", ".join(f"{k} {100 * v:.1f} %" for k, v in summary.managed_time_in_state.items()))}.</p>
<img alt="equity, drawdown, risk factor and reliability" src="data:image/png;base64,{image}">
<h2>Settings</h2>{table(("setting", "value"), setting_rows)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


__all__ = ["Summary", "forecast_rows", "summarize", "write_figure", "write_html"]
