"""The demo's summary (gate verdicts, gated vs every forecast): terminal tables, PNG + HTML."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ats.demo.pipeline import HourlySeries, RiskRuns
from engines.evaluation.performance import (
    PerformanceStats,
    drawdown_series,
    equity_curve,
    performance_stats,
)
from engines.forecast.research import EvaluationRun

GATE_LABELS: dict[str, str] = {
    "evidence": "resolved forecast dates",
    "ic_t": "rank IC bootstrap t",
    "ece": "calibration error (ECE)",
    "deflated_sharpe": "deflated Sharpe ratio",
    "shadow": "shadow period",
}
"""How each promotion gate is named in the demo's tables."""


@dataclass(frozen=True)
class Summary:
    """The numbers the demo ends with.

    ``unmanaged`` and ``managed`` are the gated system (only forecasts of live model
    versions trade), ``every_unmanaged`` and ``every_managed`` the same sizing rule on
    every forecast; ``invested`` holds each run's share of asset-days with a position;
    ``gates`` is the forecast evaluation's gate summary.
    """

    forecast: dict[str, float | None]
    unmanaged: PerformanceStats
    managed: PerformanceStats
    buy_and_hold: PerformanceStats
    managed_breaker_trips: int
    managed_time_in_state: dict[str, float]
    every_unmanaged: PerformanceStats
    every_managed: PerformanceStats
    invested: dict[str, float]
    gates: dict[str, Any]

    def rows(self) -> list[tuple[str, ...]]:
        """Rows of (metric, sizing rule, sizing rule + risk engine, buy-and-hold).

        First the gated system, then every forecast traded; buy-and-hold is the same in both.
        """
        groups = (
            ("Gated (live models only)", "unmanaged", "managed"),
            ("Every forecast traded", "every_unmanaged", "every_managed"),
        )
        rows: list[tuple[str, ...]] = []
        for title, unmanaged, managed in groups:
            keys = (unmanaged, managed, "buy_and_hold")
            runs = [getattr(self, key) for key in keys]
            rows += [
                (title, "", "", ""),
                ("  CAGR", *(_percent(run.cagr) for run in runs)),
                ("  Sharpe ratio", *(_number(run.sharpe) for run in runs)),
                ("  Max drawdown", *(_percent(run.max_drawdown) for run in runs)),
                ("  Share invested", *(_percent(self.invested.get(key)) for key in keys)),
            ]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The summary as JSON-safe values (``unmanaged``/``managed``: the gated system)."""
        return {
            "forecast": self.forecast,
            "unmanaged": self.unmanaged.to_dict(),
            "managed": self.managed.to_dict(),
            "buy_and_hold": self.buy_and_hold.to_dict(),
            "every_forecast": {
                "unmanaged": self.every_unmanaged.to_dict(),
                "managed": self.every_managed.to_dict(),
            },
            "invested": self.invested,
            "managed_breaker_trips": self.managed_breaker_trips,
            "managed_time_in_state": self.managed_time_in_state,
            "gates": self.gates,
        }


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{100.0 * value:.1f} %"


def _flat_is_zero(stats: PerformanceStats, invested: float) -> PerformanceStats:
    """A run that never held a position stayed flat: its Sharpe (and Sortino) ratio is 0."""
    if invested > 0.0:
        return stats
    return replace(stats, sharpe=0.0, sortino=0.0)


def summarize(run: EvaluationRun, runs: RiskRuns) -> Summary:
    """Collect forecast quality, the gate verdicts and the five equity curves' statistics."""
    pooled = run.report.pooled
    results = {
        "unmanaged": runs.unmanaged,
        "managed": runs.managed,
        "every_unmanaged": runs.every_unmanaged,
        "every_managed": runs.every_managed,
    }
    invested = {name: runs.invested(result) for name, result in results.items()}
    invested["buy_and_hold"] = 1.0
    stats = {
        name: _flat_is_zero(runs.stats(result), invested[name]) for name, result in results.items()
    }
    return Summary(
        forecast={
            name: pooled.get(name) for name in ("n", "ic", "rank_ic", "hit_rate", "brier", "ece")
        },
        unmanaged=stats["unmanaged"],
        managed=stats["managed"],
        buy_and_hold=performance_stats(runs.buy_and_hold_returns(), runs.periods_per_year),
        managed_breaker_trips=runs.managed.breaker_trips,
        managed_time_in_state=runs.managed.time_in_state(),
        every_unmanaged=stats["every_unmanaged"],
        every_managed=stats["every_managed"],
        invested=invested,
        gates=run.report.gates,
    )


def _gate_value(gate: dict[str, Any]) -> str:
    statistic = gate.get("statistic")
    shown = "n/a" if statistic is None else f"{statistic:.3g}"
    return f"{shown} ({'pass' if gate.get('passed') else 'FAIL'})"


def _gate_label(gate: dict[str, Any]) -> str:
    name = str(gate.get("name"))
    comparison = "<=" if name == "ece" else ">="
    return f"Gate: {GATE_LABELS.get(name, name)} {comparison} {gate.get('threshold', 0.0):.3g}"


def gate_rows(gates: dict[str, Any]) -> list[tuple[str, str]]:
    """Rows of (metric, value): versions per status, when one went live, the newest's gates."""
    counts = gates.get("status_counts") or {}
    first_live = gates.get("first_live")
    newest = gates.get("newest")
    share = gates.get("tradable_share")
    rows = [
        (
            "Model versions by status",
            ", ".join(f"{count} {status}" for status, count in counts.items() if count) or "none",
        ),
        (
            "First version to go live",
            "never" if not first_live else str(first_live.get("valid_from", ""))[:10],
        ),
        ("Tradable scored forecasts", _percent(share)),
    ]
    if newest:
        rows.append(
            (f"Newest version (from {str(newest['valid_from'])[:10]})", str(newest["status"]))
        )
        checks = list(newest.get("gates", []))
        if newest.get("shadow"):
            checks.append(newest["shadow"])
        rows += [(_gate_label(gate), _gate_value(gate)) for gate in checks]
    return rows


def forecast_rows(summary: Summary) -> list[tuple[str, ...]]:
    """Rows of (metric, value): forecast quality, then the promotion gates' verdicts."""
    quality = summary.forecast
    return [
        ("Scored forecasts", _number(quality.get("n"), 0)),
        ("Information coefficient", _number(quality.get("ic"), 3)),
        ("Rank IC", _number(quality.get("rank_ic"), 3)),
        ("Hit rate", _percent(quality.get("hit_rate"))),
        ("Calibration error (ECE)", _number(quality.get("ece"), 3)),
        *gate_rows(summary.gates),
    ]


@dataclass(frozen=True)
class HourlyTable:
    """The generated hourly series' figures: a heading, a header (metric, horizons) and rows."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def hourly_table(series: HourlySeries, runs: Mapping[str, EvaluationRun]) -> HourlyTable:
    """Forecast quality and gate outcomes of each horizon's run on the generated series."""
    reports = [run.report for run in runs.values()]

    def statuses(gates: dict[str, Any]) -> str:
        counts = gates.get("status_counts") or {}
        return ", ".join(f"{count} {status}" for status, count in counts.items() if count) or "none"

    def pooled(name: str, digits: int) -> tuple[str, ...]:
        return tuple(_number(report.pooled.get(name), digits) for report in reports)

    rows = [
        ("Scored forecasts", *pooled("n", 0)),
        ("Information coefficient", *pooled("ic", 3)),
        ("Rank IC", *pooled("rank_ic", 3)),
        ("Hit rate", *(_percent(report.pooled.get("hit_rate")) for report in reports)),
        ("Calibration error (ECE)", *pooled("ece", 3)),
        ("Model versions by status", *(statuses(report.gates) for report in reports)),
        (
            "Tradable scored forecasts",
            *(_percent(report.gates.get("tradable_share")) for report in reports),
        ),
    ]
    title = (
        f"Generated hourly series {', '.join(series.symbols)} "
        f"(synthetic, not market data; not traded) from {series.score_start:%Y-%m-%d}"
    )
    return HourlyTable(title=title, header=("metric", *runs), rows=rows)


def status_spans(gates: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows of (from, to, status, versions): consecutive model versions with one status."""
    spans: list[list[Any]] = []
    for decision in gates.get("decisions", []):
        day = str(decision["valid_from"])[:10]
        if spans and spans[-1][2] == decision["status"]:
            spans[-1][1] = day
            spans[-1][3] += 1
        else:
            spans.append([day, day, decision["status"], 1])
    return [(start, end, status, str(count)) for start, end, status, count in spans]


def write_figure(run: EvaluationRun, runs: RiskRuns, path: Path) -> Path:
    """Draw equity, drawdown, risk factor and the reliability diagram into one PNG.

    Every curve is drawn for the gated system and for trading every forecast.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    curves = {
        "gated sizing rule": runs.unmanaged.returns,
        "gated sizing rule + risk engine": runs.managed.returns,
        "every forecast": runs.every_unmanaged.returns,
        "every forecast + risk engine": runs.every_managed.returns,
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
    for label, result in (("gated", runs.managed), ("every forecast", runs.every_managed)):
        factor_axis.plot(
            result.risk_factors.index, result.risk_factors.to_numpy(), label=label, linewidth=0.8
        )
    factor_axis.set_ylim(-0.05, 1.05)
    factor_axis.set_title("Risk factor (risk engine)")
    factor_axis.legend(fontsize=8)
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


def write_html(
    summary: Summary,
    figure: Path,
    path: Path,
    *,
    settings: dict[str, Any],
    hourly: HourlyTable | None = None,
) -> Path:
    """Write a one-page HTML report with the tables and the figure embedded.

    ``hourly``: the generated hourly series' table (:func:`hourly_table`), when it ran.
    """
    image = base64.b64encode(figure.read_bytes()).decode("ascii")

    def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    setting_rows = [(str(key), str(value)) for key, value in settings.items()]
    gates = summary.gates
    newest = gates.get("newest") or {}
    checks = [*newest.get("gates", []), *([newest["shadow"]] if newest.get("shadow") else [])]
    gate_table = table(
        ("gate", "statistic", "threshold", "verdict", "detail"),
        [
            (
                str(gate["name"]),
                _number(gate.get("statistic"), 4),
                _number(gate.get("threshold"), 4),
                "pass" if gate.get("passed") else "FAIL",
                str(gate.get("detail", "")),
            )
            for gate in checks
        ],
    )
    newest_line = (
        f"Newest version {newest.get('version')} (from {str(newest.get('valid_from'))[:10]}): "
        f"{newest.get('status')}; {newest.get('rule')}."
        if newest
        else "No model version was trained."
    )
    trading_header = ("metric", "sizing rule", "sizing rule + risk engine", "buy-and-hold")
    hourly_section = ""
    if hourly is not None:
        hourly_section = (
            f"<h2>{html.escape(hourly.title)}</h2><p>Seeded random prices with volatility "
            "clustering and nothing predictable in their returns, generated so that the 1h and "
            "4h horizons have data (the bundled prices are daily). Their forecasts are stored "
            "and shown on the dashboard, never traded here.</p>" + table(hourly.header, hourly.rows)
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Adaptive Trading System: demo report</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.3rem .7rem;text-align:right}}
th:first-child,td:first-child{{text-align:left}}img{{max-width:100%}}</style></head><body>
<h1>Adaptive Trading System: demo report</h1>
<p>Walk-forward forecasts on the bundled daily US stocks, traded by the sizing rule with and without
the risk engine. Every number is out of sample. Only proven models trade: a model version's forecasts
are sized only once it is live (it passed the promotion gates on the record known when its period
started, then a shadow period); below, the gated system next to trading every forecast.</p>
<h2>Forecast quality and promotion gates</h2>{table(("metric", "value"), forecast_rows(summary))}
<h2>Promotion gates of the newest version</h2><p>{html.escape(newest_line)}</p>{gate_table}
{hourly_section}
<h2>Model versions over time</h2>{table(("from", "to", "status", "versions"), status_spans(gates))}
<h2>Trading: gated vs every forecast</h2>{table(trading_header, summary.rows())}
<p>Risk engine (gated system): {summary.managed_breaker_trips} breaker trips; time in state:
{html.escape(", ".join(f"{k} {100 * v:.1f} %" for k, v in summary.managed_time_in_state.items()))}.</p>
<img alt="equity, drawdown, risk factor and reliability" src="data:image/png;base64,{image}">
<h2>Settings</h2>{table(("setting", "value"), setting_rows)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


__all__ = [
    "Summary",
    "forecast_rows",
    "gate_rows",
    "HourlyTable",
    "hourly_table",
    "status_spans",
    "summarize",
    "write_figure",
    "write_html",
]
