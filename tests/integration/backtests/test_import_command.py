"""``ats backtests import``: a LEAN result file into the database, once, with clear errors."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
T0 = 1_609_736_400  # 2021-01-04 05:00 UTC


def _result() -> dict[str, object]:
    equity = [{"x": T0 + day * 86400, "y": 100_000.0 + 500.0 * day} for day in range(5)]
    return {
        "charts": {"Strategy Equity": {"series": {"Equity": {"values": equity}}}},
        "orders": {
            "1": {
                "id": 1,
                "symbol": {"value": "AAPL"},
                "price": 130.0,
                "time": "2021-01-04T15:00:00Z",
                "quantity": 10,
                "status": 3,
                "direction": 0,
                "type": 0,
                "tag": "forecast-1",
            }
        },
        "statistics": {"Total Orders": "1", "Sharpe Ratio": "1.2"},
        "runtimeStatistics": {"Equity": "$102,000.00"},
        "totalPerformance": {"tradeStatistics": {"totalNumberOfTrades": 1}},
    }


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DB_HOST", "DJANGO_SETTINGS_MODULE"}
    }
    env["DB_SQLITE_PATH"] = str(tmp_path / "backtests.sqlite3")
    subprocess.run(
        [sys.executable, "backend/manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return env


def _ats(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ats.cli.main", "backtests", "import", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_stores_the_run_once(environment: dict[str, str], tmp_path: Path) -> None:
    result_file = tmp_path / "1234567.json"
    result_file.write_text(json.dumps(_result()))
    first = _ats(environment, str(result_file), "--name", "adaptive_forecast", "--by", "tester")
    assert first.returncode == 0, first.stderr
    assert "imported backtest" in first.stdout
    assert "5 equity points, 1 orders" in first.stdout
    again = _ats(environment, str(result_file))
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stdout
    with sqlite3.connect(environment["DB_SQLITE_PATH"]) as database:
        (runs,) = database.execute("select count(*) from backtests_backtestrun").fetchone()
        (name, by) = database.execute(
            "select name, imported_by from backtests_backtestrun"
        ).fetchone()
    assert runs == 1
    assert (name, by) == ("adaptive_forecast", "tester")


def test_a_file_that_is_not_a_lean_result_is_refused(
    environment: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hello": "world"}))
    result = _ats(environment, str(bad))
    assert result.returncode != 0
    assert "Error:" in result.stderr
    assert "Traceback" not in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = _ats(environment, str(broken))
    assert result.returncode != 0
    assert "cannot read" in result.stderr
