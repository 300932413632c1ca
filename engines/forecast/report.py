"""Render an evaluation report as tables or JSON: scores, cross-section, gate verdicts."""

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


def _significant(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}"


def _verdict(passed: bool) -> str:
    return "pass" if passed else "FAIL"


def render_gates(report: EvaluationReport, console: Console) -> None:
    """Print the newest version's gate verdicts, the status counts and gated vs every forecast."""
    gates = report.gates
    newest = gates.get("newest")
    counts = gates.get("status_counts", {})
    console.print(
        "Model versions: "
        + ", ".join(f"{count} {status}" for status, count in counts.items())
        + "; "
        + (
            f"first live {gates['first_live']['valid_from'][:10]} "
            f"({gates['first_live']['version']})"
            if gates.get("first_live")
            else "none went live"
        )
    )
    if newest is not None:
        verdicts = Table(
            title=f"Promotion gates, newest version {newest['version']} "
            f"(from {newest['valid_from'][:10]}: {newest['status']})"
        )
        for column in ("gate", "statistic", "threshold", "verdict", "detail"):
            verdicts.add_column(column, justify="left" if column in ("gate", "detail") else "right")
        rows = list(newest["gates"])
        if newest.get("shadow"):
            rows.append(newest["shadow"])
        for gate in rows:
            verdicts.add_row(
                gate["name"],
                _significant(gate["statistic"]),
                _significant(gate["threshold"]),
                _verdict(gate["passed"]),
                gate["detail"],
            )
        console.print(verdicts)
    share = gates.get("tradable_share")
    compare = Table(title="Sizing rule (pooled): gated vs every forecast")
    for column in ("run", "Sharpe", "max DD", "CAGR", "turnover/yr", "invested"):
        compare.add_column(column, justify="left" if column == "run" else "right")
    hold = report.pooled["buy_and_hold"]
    for name, figures in (
        ("gated", gates.get("gated")),
        ("every forecast", gates.get("every_forecast")),
    ):
        if figures is None:
            continue
        compare.add_row(
            name,
            _number(figures["sharpe"], 2),
            _number(figures["max_drawdown"]),
            _number(figures["cagr"]),
            _number(figures["turnover"], 1),
            _number(figures["share_invested"], 2),
        )
    compare.add_row(
        "buy-and-hold",
        _number(hold["sharpe"], 2),
        _number(hold["max_drawdown"]),
        _number(hold["cagr"]),
        "-",
        "1.00",
    )
    console.print(compare)
    console.print(
        "gated: only forecasts of live versions trade; "
        + (f"{100 * share:.1f} %" if share is not None else "none")
        + " of the scored forecasts were tradable"
    )


def _percent(value: Any) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def _signed(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def render_cross_section(pooled: dict[str, Any], console: Console) -> None:
    """Print the per-date cross-sectional rank IC, the common variance shares and IC by year."""
    section = pooled.get("cross_sectional_rank_ic")
    shares = pooled.get("common_variance_share")
    if section is None or shares is None:
        return
    if not section["available"]:
        console.print(f"Cross-section: {section['reason']}")
    else:
        block = section["block_length"]
        console.print(
            f"Cross-section (>= {section['min_assets']} assets a date): per-date rank IC "
            f"{_signed(section['mean'])} mean over {section['dates']} dates "
            f"({_number(section['mean_assets'], 1)} assets); t "
            f"{_number(section['t_bootstrap'], 2)} block bootstrap"
            + (f" ({block}-date blocks)" if block is not None else "")
            + f", {_number(section['t_iid'], 2)} iid"
        )
    if shares["available"]:
        console.print(
            "Variance common to the date (date means over total): forecasts "
            f"{_percent(shares['forecast'])}, realized returns {_percent(shares['realized'])}"
        )
    years = pooled.get("by_year") or []
    if not years:
        return
    table = Table(title="IC by year (pooled)")
    for column in (
        "year",
        "n",
        "rank IC",
        "dates",
        "per-date rank IC",
        "forecast common",
        "realized common",
    ):
        table.add_column(column, justify="right")
    for row in years:
        table.add_row(
            str(row["year"]),
            str(row["rows"]),
            _signed(row["rank_ic"]),
            _number(row["dates"]),
            _signed(row["cross_sectional_rank_ic"]),
            _percent(row["forecast_common_share"]),
            _percent(row["realized_common_share"]),
        )
    console.print(table)


def render(report: EvaluationReport, console: Console) -> None:
    """Print the summary, the cross-section, the reliability table, the sweep and the gates."""
    summary = Table(title="Forecast evaluation (out of sample; strategy gated)")
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
        "Sharpe (every)",
        "B&H Sharpe",
        "B&H max DD",
    ):
        summary.add_column(column, justify="right")
    rows = [*report.per_symbol.items(), ("pooled", report.pooled)]
    for name, scores in rows:
        strategy, hold = scores["strategy"], scores["buy_and_hold"]
        every = scores["every_forecast"]
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
            _number(every["sharpe"], 2),
            _number(hold["sharpe"], 2),
            _number(hold["max_drawdown"]),
        )
    console.print(summary)
    render_cross_section(report.pooled, console)
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
    sweep = Table(title="Entry threshold sweep (pooled, every forecast)")
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
    if report.gates:
        render_gates(report, console)
    settings = report.settings
    console.print(
        f"model {settings['model']}, horizon {settings['horizon']}, entry confidence "
        f"{settings['entry_confidence']}, scored from {settings['start']}; Sharpe, max DD, "
        "turnover and invested are the gated sizing rule's (non-live versions hold no position)"
    )
