"""``ats demo --quick``: the main job end to end on embedded defaults (SQLite, in-memory bus)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], Path]:
    work = tmp_path_factory.mktemp("demo")
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "DB_HOST", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DB_SQLITE_PATH"] = str(work / "demo.sqlite3")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ats.cli.main",
            "demo",
            "--quick",
            "--json",
            "--data-folder",
            str(work / "data"),
            "--output-folder",
            str(work / "reports"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout), work


@pytest.mark.slow
def test_quick_demo_writes_lean_data_and_scores_out_of_sample(
    quick_run: tuple[dict[str, object], Path],
) -> None:
    summary, work = quick_run
    for symbol in ("aapl", "msft"):
        assert (work / "data" / "equity" / "usa" / "daily" / f"{symbol}.zip").is_file()
    forecast = summary["forecast"]
    assert isinstance(forecast, dict)
    assert forecast["n"] > 1000
    assert 0.0 <= forecast["ece"] <= 0.1
    assert 0.3 < forecast["hit_rate"] < 0.7
    for run in ("unmanaged", "managed", "buy_and_hold"):
        stats = summary[run]
        assert isinstance(stats, dict)
        assert 0.0 <= stats["max_drawdown"] <= 1.0


@pytest.mark.slow
def test_quick_demo_records_every_message_once(quick_run: tuple[dict[str, object], Path]) -> None:
    summary, work = quick_run
    forecasts = pd.read_csv(work / "reports" / "forecasts.csv")
    recorded = summary["recorded"]
    assert isinstance(recorded, dict)
    assert recorded["bus"] == "InMemoryBus"
    assert recorded["processed"]["forecast_updates"] == len(forecasts)
    assert all(count == 0 for count in recorded["dead_lettered"].values())
    assert all(count == 0 for count in recorded["retried_batches"].values())
    with sqlite3.connect(work / "demo.sqlite3") as database:
        (stored,) = database.execute("select count(*) from forecasts_forecast").fetchone()
        (decisions,) = database.execute("select count(*) from risk_riskdecision").fetchone()
    assert stored == len(forecasts)
    assert decisions == recorded["processed"]["risk_updates"]
    with sqlite3.connect(work / "demo.sqlite3") as database:
        (bars,) = database.execute("select count(*) from market_bar").fetchone()
    assert bars == recorded["bars"] > 1000
    # Every model version is in the registry with its lifecycle decision and gate numbers.
    with sqlite3.connect(work / "demo.sqlite3") as database:
        rows = database.execute(
            "select version, asset_group, horizon, status, gates from forecasts_modelversion"
        ).fetchall()
    statuses = recorded["model_versions"]
    assert isinstance(statuses, dict)
    assert sum(statuses.values()) == len(rows) >= forecasts["model_version"].nunique()
    assert {(group, horizon) for _, group, horizon, _, _ in rows} == {("equity-usa", "1d")}
    assert all(json.loads(gates)["gates"]["gates"] for *_, gates in rows)
    tradable = forecasts.groupby("model_version")["tradable"].all().to_dict()
    for version, _, _, status, _ in rows:
        if version in tradable:
            assert (status == "live") == bool(tradable[version])


@pytest.mark.slow
def test_quick_demo_writes_the_report(quick_run: tuple[dict[str, object], Path]) -> None:
    _, work = quick_run
    png = (work / "reports" / "demo_report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    page = (work / "reports" / "demo_report.html").read_text(encoding="utf-8")
    assert "Forecast quality" in page
    assert "data:image/png;base64," in page
