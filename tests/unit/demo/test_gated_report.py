"""The demo's gated system next to trading every forecast, on a small synthetic market.

Forecasts carry no skill (random predictions), so no model version goes live: the gated
system holds nothing (Sharpe 0, nothing invested) while trading every forecast trades.
The risk replay is the demo's own (``pipeline.risk_replay``, both managed runs).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ats.demo import pipeline
from ats.demo.config import DemoConfig
from ats.demo.report import (
    forecast_rows,
    gate_rows,
    status_spans,
    summarize,
    write_html,
)
from engines.forecast.evaluation import evaluate_forecasts, gate_summary
from engines.forecast.research import EvaluationRun, write_forecasts
from risk_models.gates import GateConfig
from risk_models.promotion import gate_walk_forward, no_live_model_reason
from tests.unit.evaluation.panels import panel, write_panel

SYMBOLS = ("AAA", "BBB")


def skill_less_forecasts(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A walk-forward-shaped table: random predictions, monthly versions, real outcomes."""
    rng = np.random.default_rng(9)
    pieces = []
    for symbol, frame in frames.items():
        close = frame["close"]
        made = frame.index + pd.Timedelta(hours=16)
        outcome = (close.shift(-1) / close - 1.0).to_numpy()
        pieces.append(
            pd.DataFrame(
                {
                    "symbol": symbol.lower(),
                    "time": made,
                    "bar_time": frame.index,
                    "horizon": "1d",
                    "prediction": rng.normal(0.0, 0.002, size=len(frame)),
                    "confidence": rng.uniform(0.45, 0.6, size=len(frame)),
                    "model_version": [f"m-{day:%Y%m}" for day in frame.index],
                    "forward_return": outcome,
                    "next_return": outcome,
                    "label_end": pd.Series(made).shift(-1).to_numpy(),
                }
            )
        )
    return pd.concat(pieces, ignore_index=True).sort_values(["time", "symbol"], kind="stable")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[EvaluationRun, pipeline.RiskRuns]:
    work = tmp_path_factory.mktemp("demo")
    frames = panel(coefficient=0.0, bars=200, symbols=SYMBOLS, seed=5)
    write_panel(work / "data", frames)
    config = DemoConfig(
        data_folder=work / "data",
        output_folder=work / "reports",
        score_start=dt.date(2014, 1, 2),
    )
    gates = GateConfig()
    gated, decisions = gate_walk_forward(skill_less_forecasts(frames), gates, horizon_bars=1)
    report = evaluate_forecasts(
        gated,
        start=pd.Timestamp(config.score_start),
        end=None,
        entry_confidence=0.5,
        periods=252.0,
        settings={"model": "random"},
        gates=gate_summary(decisions, gated, gates),
    )
    run = EvaluationRun(report=report, forecasts=gated.reset_index(drop=True))
    write_forecasts(run.forecasts, config.output_folder / "forecasts.csv")
    return run, pipeline.risk_replay(config, tuple(symbol.lower() for symbol in SYMBOLS))


def test_the_gated_system_holds_nothing_while_every_forecast_trades(
    demo: tuple[EvaluationRun, pipeline.RiskRuns],
) -> None:
    run, runs = demo
    assert not run.forecasts["tradable"].any()
    for result in (runs.unmanaged, runs.managed):
        assert (result.weights.to_numpy() == 0.0).all()
    assert runs.invested(runs.every_unmanaged) > 0.3
    assert runs.invested(runs.every_managed) > 0.3
    summary = summarize(run, runs)
    assert summary.unmanaged.sharpe == 0.0
    assert summary.managed.sharpe == 0.0
    assert summary.unmanaged.total_return == 0.0
    assert summary.invested["unmanaged"] == 0.0
    assert summary.invested["every_unmanaged"] > 0.3
    assert summary.invested["buy_and_hold"] == 1.0
    assert summary.every_unmanaged.total_return != 0.0
    # The managed gated run says why it holds nothing.
    last = runs.managed.reasons.iloc[-1]
    assert {no_live_model_reason(symbol) for symbol in SYMBOLS} <= set(last)


def test_the_tables_show_gated_and_every_forecast_side_by_side(
    demo: tuple[EvaluationRun, pipeline.RiskRuns],
) -> None:
    summary = summarize(*demo)
    rows = summary.rows()
    assert all(len(row) == 4 for row in rows)
    titles = [row[0] for row in rows if row[1:] == ("", "", "")]
    assert titles == ["Gated (live models only)", "Every forecast traded"]
    gated_block, every_block = rows[1:5], rows[6:10]
    assert [row[0].strip() for row in gated_block] == [
        "CAGR",
        "Sharpe ratio",
        "Max drawdown",
        "Share invested",
    ]
    assert gated_block[1][1:3] == ("0.00", "0.00")
    assert gated_block[3][1:] == ("0.0 %", "0.0 %", "100.0 %")
    assert every_block[3][1] != "0.0 %"
    assert gated_block[1][3] == every_block[1][3]  # buy-and-hold is the same in both
    quality = dict(forecast_rows(summary))
    assert quality["First version to go live"] == "never"
    assert quality["Tradable scored forecasts"] == "0.0 %"
    assert "candidate" in quality["Model versions by status"]
    gate_lines = {name: value for name, value in quality.items() if name.startswith("Gate:")}
    assert "Gate: resolved forecast dates >= 60" in gate_lines
    assert any(value.endswith("(FAIL)") for value in gate_lines.values())


def test_json_and_html_carry_the_gates_and_both_systems(
    demo: tuple[EvaluationRun, pipeline.RiskRuns], tmp_path: Path
) -> None:
    run, runs = demo
    summary = summarize(run, runs)
    document = summary.to_dict()
    assert set(document["every_forecast"]) == {"unmanaged", "managed"}
    assert document["managed"]["sharpe"] == 0.0
    assert document["gates"]["status_counts"]["live"] == 0
    assert document["gates"]["newest"]["gates"]
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = write_html(summary, figure, tmp_path / "report.html", settings={"model": "random"})
    text = page.read_text(encoding="utf-8")
    assert "Promotion gates of the newest version" in text
    assert "Every forecast traded" in text
    assert "deflated_sharpe" in text


def test_published_forecasts_are_marked_tradable_or_not(
    demo: tuple[EvaluationRun, pipeline.RiskRuns],
) -> None:
    run, _ = demo
    messages = list(pipeline.forecast_messages(run, "test"))
    assert len(messages) == len(run.forecasts)
    assert not any(message.tradable for message in messages)
    live = run.forecasts.assign(tradable=True)
    relabelled = EvaluationRun(report=run.report, forecasts=live)
    assert all(message.tradable for message in pipeline.forecast_messages(relabelled, "test"))


def test_gate_rows_and_status_spans_of_a_version_that_went_live() -> None:
    gates = {
        "status_counts": {"candidate": 2, "shadow": 1, "live": 2, "retired": 0},
        "first_live": {"version": "m-3", "valid_from": "2015-03-02T16:00:00"},
        "tradable_share": 0.4,
        "newest": {
            "version": "m-5",
            "valid_from": "2015-05-01T16:00:00",
            "status": "live",
            "gates": [{"name": "ic_t", "statistic": 3.14159, "threshold": 2.0, "passed": True}],
            "shadow": None,
        },
        "decisions": [
            {"valid_from": f"2015-0{month}-01T16:00:00", "status": status}
            for month, status in enumerate(
                ("candidate", "candidate", "shadow", "live", "live"), start=1
            )
        ],
    }
    rows = dict(gate_rows(gates))
    assert rows["Model versions by status"] == "2 candidate, 1 shadow, 2 live"
    assert rows["First version to go live"] == "2015-03-02"
    assert rows["Tradable scored forecasts"] == "40.0 %"
    assert rows["Gate: rank IC bootstrap t >= 2"] == "3.14 (pass)"
    assert status_spans(gates) == [
        ("2015-01-01", "2015-02-01", "candidate", "2"),
        ("2015-03-01", "2015-03-01", "shadow", "1"),
        ("2015-04-01", "2015-05-01", "live", "2"),
    ]
