"""Import and initialize algorithms/adaptive_forecast as lean-cli runs it in LEAN's container."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from signal_bus.codec import encode
from signal_bus.messages import ForecastUpdate

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "algorithms" / "adaptive_forecast"
SCRIPT = Path(__file__).with_name("container_view.py")


def _run(project: Path, scenario: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    site_packages = sysconfig.get_paths()["purelib"]
    return subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), str(project), str(ROOT), site_packages, scenario],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _report(project: Path, scenario: str, stdin: str = "") -> dict[str, Any]:
    completed = _run(project, scenario, stdin)
    assert completed.returncode == 0, completed.stderr[-3000:]
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def _forecast_line() -> str:
    forecast = ForecastUpdate.create(
        asset="AAPL",
        horizon="1d",
        prediction=0.004,
        confidence=0.7,
        now=datetime(2010, 1, 5, tzinfo=UTC),
    )
    return encode(forecast).decode()


def test_default_project_initializes_with_only_lean_packages() -> None:
    report = _report(PROJECT, "default")
    assert report["algorithms"] == ["AdaptiveForecastAlgorithm"]
    assert report["alpha"] == "ForecastAlphaModel"
    assert report["portfolio_construction"] == "ForecastSizingPortfolioConstructionModel"
    assert report["risk_management"] == ["AdaptiveRiskManagementModel"]
    assert report["execution"] == "ImmediateExecutionModel"
    assert report["assets"] == ["AAPL", "MSFT"]
    assert report["source"] == "InAlgorithmForecastSource"
    assert report["scheduled_training"] == 1
    assert report["refused_imports"] == []
    assert report["redis_loaded"] is False
    assert report["outside_modules"] == []


def test_recorded_source_reads_the_export_from_the_object_store() -> None:
    report = _report(PROJECT, "recorded", stdin=_forecast_line() + "\n")
    assert report["source"] == "RecordedForecastSource"
    assert report["refused_imports"] == []


def test_command_source_accepts_bus_messages_as_commands_without_redis() -> None:
    report = _report(PROJECT, "command", stdin=_forecast_line())
    assert report["source"] == "InboxForecastSource"
    assert report["command_accepted"] is True
    assert report["command_refused"] is False
    assert report["forecasts_in_inbox"] == 1
    assert report["redis_loaded"] is False


@pytest.mark.parametrize(
    ("statement", "refused"),
    [
        ("import structlog", "structlog"),
        ("import redis", "redis"),
        ("import market_data", "market_data"),
    ],
)
def test_guard_refuses_packages_lean_does_not_ship(
    tmp_path: Path, statement: str, refused: str
) -> None:
    project = tmp_path / "algorithms" / "bad"
    project.mkdir(parents=True)
    (project / "config.json").write_text(
        json.dumps({"algorithm-language": "Python", "parameters": {}})
    )
    (project / "main.py").write_text(f"{statement}\nfrom AlgorithmImports import QCAlgorithm\n")
    completed = _run(project, "default")
    assert completed.returncode != 0
    assert (
        f"{refused} is not available in LEAN's image" in completed.stderr
        or "No module named" in completed.stderr
    )


def test_config_links_all_three_libraries_in_lean_cli_format() -> None:
    config = json.loads((PROJECT / "config.json").read_text(encoding="utf-8"))
    assert config["algorithm-language"] == "Python"
    assert config["libraries"] == [
        {"name": "alpha_models", "path": "Library/alpha_models"},
        {"name": "risk_models", "path": "Library/risk_models"},
        {"name": "signal_bus", "path": "Library/signal_bus"},
    ]
    for library in config["libraries"]:
        library_config = json.loads(
            (ROOT / library["path"] / "config.json").read_text(encoding="utf-8")
        )
        assert library_config["algorithm-language"] == "Python"


def test_config_parameters_cover_main_and_pass_the_shared_schema() -> None:
    import ast

    from risk_models.parameters import PARAMETER_SPECS, validate

    parameters = json.loads((PROJECT / "config.json").read_text(encoding="utf-8"))["parameters"]
    tree = ast.parse((PROJECT / "main.py").read_text(encoding="utf-8"))
    read = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "_text"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert read <= set(parameters), sorted(read - set(parameters))
    for key, value in parameters.items():
        if key in PARAMETER_SPECS:
            validate(key, value)
