"""The ``ats`` entry point: every group and subcommand explains itself; gated evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from ats.cli.main import cli
from risk_models.gates import GateConfig
from tests.unit.evaluation.panels import panel, write_panel


def _walk(command: click.Command, path: list[str]) -> list[list[str]]:
    paths = [path]
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join([*path, name])} is listed but cannot be loaded"
            paths += _walk(sub, [*path, name])
    return paths


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for path in _walk(cli, []):
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage: ats" in result.output
        command_help = result.output.split("\n\n", 2)[1].strip()
        assert command_help, f"ats {' '.join(path)} has no help text"


def test_unknown_command_fails_with_message() -> None:
    result = CliRunner().invoke(cli, ["no-such-command"])
    assert result.exit_code != 0
    assert "No such command" in result.output


@pytest.fixture(scope="module")
def lean_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = panel(coefficient=0.3, bars=560, symbols=("AAA", "BBB", "CCC"), seed=4)
    return write_panel(tmp_path_factory.mktemp("lean"), frames)


def _evaluate(folder: Path, *extra: str) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "forecast",
            "evaluate",
            "--data-folder",
            str(folder),
            "--symbols",
            "aaa,bbb,ccc",
            "--start",
            "2015-01-01",
            *extra,
        ],
    )


def test_forecast_evaluate_json_reports_every_gate_and_both_strategies(
    lean_folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "forecasts.csv"
    result = _evaluate(
        lean_folder, "--json", "--forecasts-out", str(out), "--min-ic-t", "2.5", "--trials", "16"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    gates = report["gates"]
    assert gates["config"]["min_ic_t"] == 2.5
    assert gates["config"]["trials"] == 16
    assert gates["config"]["max_ece"] == GateConfig().max_ece
    newest = gates["newest"]
    verdicts = {gate["name"]: gate for gate in newest["gates"]}
    assert set(verdicts) == {"evidence", "ic_t", "ece", "deflated_sharpe"}
    for gate in verdicts.values():
        assert isinstance(gate["statistic"], float)
        assert isinstance(gate["passed"], bool)
        assert gate["detail"]
    assert verdicts["ic_t"]["threshold"] == 2.5
    assert verdicts["ic_t"]["passed"] == (verdicts["ic_t"]["statistic"] >= 2.5)
    decisions = gates["decisions"]
    assert decisions
    assert set(decisions[0]) == {"version", "valid_from", "status", "rule", "reasons"}
    assert decisions[-1]["version"] == newest["version"]
    assert sum(gates["status_counts"].values()) == len(decisions)
    assert set(gates) >= {"gated", "every_forecast", "tradable_share", "first_live"}
    assert gates["gated"] == report["pooled"]["strategy"]
    assert gates["every_forecast"] == report["pooled"]["every_forecast"]
    written = pd.read_csv(out, dtype={"tradable": str})
    assert list(written.columns)[-2:] == ["status", "tradable"]
    assert set(written["tradable"]) <= {"true", "false"}
    assert ((written["tradable"] == "true") == (written["status"] == "live")).all()
    tradable = (written["tradable"] == "true").mean()
    assert tradable == pytest.approx(gates["tradable_share"])


def test_forecast_evaluate_prints_the_verdicts_and_the_two_strategy_lines(
    lean_folder: Path,
) -> None:
    result = _evaluate(lean_folder, "--model", "sklearn")
    assert result.exit_code == 0, result.output
    assert "Promotion gates, newest version" in result.output
    for gate in ("evidence", "ic_t", "ece", "deflated_sharpe"):
        assert gate in result.output
    assert "every forecast" in result.output
    assert "gated" in result.output
    assert "Model versions:" in result.output


def test_forecast_evaluate_refuses_a_gate_threshold_out_of_range(lean_folder: Path) -> None:
    result = _evaluate(lean_folder, "--max-ece", "0.9")
    assert result.exit_code != 0
    assert "--max-ece" in result.output
    assert "max_ece must be in" in result.output
