"""``manage.py import_backtest``: a LEAN result file into the database, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from backend.backtests.models import BacktestRun
from tests.backend.backtests.test_api import pascal_result

pytestmark = pytest.mark.django_db


def test_import_backtest_command(tmp_path: Path, capsys: Any) -> None:
    result_file = tmp_path / "result.json"
    result_file.write_text(json.dumps(pascal_result()))
    call_command("import_backtest", str(result_file), "--name", "from file")
    assert "3 equity points, 2 orders" in capsys.readouterr().out
    call_command("import_backtest", str(result_file))
    assert "already imported" in capsys.readouterr().out
    assert BacktestRun.objects.get().name == "from file"
    bad_file = tmp_path / "bad.json"
    bad_file.write_text("{not json")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_backtest", str(bad_file))
