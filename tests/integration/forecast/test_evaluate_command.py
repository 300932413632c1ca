"""``ats forecast evaluate`` end to end on a LEAN data folder and on the bundled data."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alpha_models.registry import ModelRegistry
from ats.cli.main import cli
from market_data.lean import write_bars
from tests.unit.alpha_models.synthetic import random_walk_bars

METRICS = {
    "n",
    "ic",
    "rank_ic",
    "hit_rate",
    "brier",
    "ece",
    "reliability",
    "strategy",
    "buy_and_hold",
    "threshold_sweep",
}


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lean-data")
    for symbol, bars in random_walk_bars(("AAA", "BBB"), days=700, momentum=0.3, seed=5).items():
        frame = bars.drop(columns=["end_time"])
        frame.index = frame.index.normalize()
        frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].round(2)
        write_bars(
            folder, frame, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )
    return folder


def test_evaluate_prints_one_json_object_and_writes_forecasts(
    data_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "forecasts.csv"
    registry = tmp_path / "registry"
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            "evaluate",
            "--data-folder",
            str(data_folder),
            "--security-type",
            "equity",
            "--market",
            "usa",
            "--symbols",
            "aaa,bbb",
            "--resolution",
            "daily",
            "--horizon",
            "1d",
            "--start",
            "2016-01-01",
            "--model",
            "sklearn",
            "--entry-confidence",
            "0.52",
            "--forecasts-out",
            str(out),
            "--registry",
            str(registry),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) >= {"pooled", "per_symbol"}
    assert set(report["per_symbol"]) == {"aaa", "bbb"}
    assert set(report["pooled"]) >= METRICS
    pooled = report["pooled"]
    assert pooled["n"] == sum(report["per_symbol"][s]["n"] for s in ("aaa", "bbb"))
    assert len(pooled["reliability"]) == 10
    assert [row["entry_confidence"] for row in pooled["threshold_sweep"]][0::15] == [0.5, 0.8]
    assert pooled["strategy"]["entry_confidence"] == 0.52
    assert 0.0 <= pooled["ece"] <= 0.2
    assert pooled["ic"] > 0  # the planted momentum is there to find
    # two assets are no cross-section to rank (three are needed): it says so, no numbers
    section = pooled["cross_sectional_rank_ic"]
    assert section["available"] is False
    assert section["reason"] == "no date has at least 3 assets (at most 2)"
    assert section["mean"] is None
    assert pooled["common_variance_share"]["forecast"] is None
    years = pooled["by_year"]
    assert [row["year"] for row in years] == sorted({row["year"] for row in years})
    assert years[0]["year"] == 2016
    assert sum(row["rows"] for row in years) == pooled["n"]
    assert all(row["cross_sectional_rank_ic"] is None for row in years)
    assert "by_year" not in report["per_symbol"]["aaa"]

    forecasts = pd.read_csv(out, parse_dates=["time"])
    assert list(forecasts.columns) == [
        "symbol",
        "time",
        "horizon",
        "prediction",
        "confidence",
        "model_version",
        "status",
        "tradable",
    ]
    assert (forecasts["time"] >= pd.Timestamp("2016-01-01")).all()
    assert (forecasts["time"].dt.hour == 16).all()  # made at the bar's close
    assert len(forecasts) == pooled["n"] + 2  # the last bar of each symbol has no outcome yet
    saved = {v.version for v in ModelRegistry(registry).versions()}
    assert set(forecasts["model_version"]) <= saved


def test_evaluate_runs_on_the_bundled_data() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            "evaluate",
            "--source",
            "bundled",
            "--symbols",
            "IBM,MSFT",
            "--start",
            "2003-01-01",
            "--end",
            "2003-12-31",
            "--model",
            "statsmodels",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Forecast evaluation" in result.output
    assert "IBM" in result.output
    assert "pooled" in result.output
    assert "Entry threshold sweep" in result.output
    assert "Cross-section: no date has at least 3 assets (at most 2)" in result.output
    assert "IC by year" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--start", "2016-01-01", "--symbols", "AAA"], "--data-folder is required"),
        (["--start", "2016-13-01", "--source", "bundled"], "expected YYYY-MM-DD"),
        (["--start", "2003-01-01", "--source", "bundled", "--symbols", "NOPE"], "has no NOPE"),
        (
            ["--start", "2003-01-01", "--source", "bundled", "--entry-confidence", "1.5"],
            "entry_confidence must be a number in [0.5, 1]",
        ),
        (
            ["--start", "2030-01-01", "--source", "bundled", "--model", "statsmodels"],
            "no scored forecasts",
        ),
    ],
)
def test_bad_input_fails_with_a_clear_message(arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["forecast", "evaluate", *arguments])
    assert result.exit_code != 0
    assert message in result.output


def test_missing_series_in_the_data_folder_is_reported(data_folder: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            "evaluate",
            "--data-folder",
            str(data_folder),
            "--symbols",
            "ZZZ",
            "--start",
            "2016-01-01",
        ],
    )
    assert result.exit_code != 0
    assert "ZZZ" in result.output.upper()
