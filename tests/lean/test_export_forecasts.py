"""``ats lean export-forecasts``: recorded forecasts as JSON lines the ``recorded`` source reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from alpha_models.lean.recorded_forecasts import RecordedForecasts
from ats.cli.main import cli
from signal_bus.messages import ForecastUpdate, RiskUpdate
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

CSV = """symbol,time,horizon,prediction,confidence,model_version
AAPL,2010-01-05T16:00:00,1d,0.0031,0.58,v1
MSFT,2010-01-05T16:00:00,1d,-0.0012,0.61,v1
AAPL,2010-01-04T16:00:00,1d,0.0020,0.57,v1
AAPL,2010-01-06T16:00:00,1d,0.0010,1.7,v1
"""


def test_csv_export_is_sorted_converted_to_utc_and_skips_bad_rows(tmp_path: Path) -> None:
    source = tmp_path / "forecasts.csv"
    source.write_text(CSV, encoding="utf-8")
    output = tmp_path / "storage" / "adaptive_forecast" / "forecasts.jsonl"
    result = CliRunner().invoke(
        cli,
        ["lean", "export-forecasts", "--from-csv", str(source), "--time-zone", "America/New_York",
         "--model", "lightgbm", "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 3 forecasts" in result.output
    assert "1 skipped" in result.output
    assert "line 5" in result.output  # confidence 1.7 is refused, not clipped
    recorded = RecordedForecasts.from_json_lines(output.read_text(encoding="utf-8"))
    assert len(recorded) == 3
    first_close = datetime(2010, 1, 4, 21, 0, tzinfo=UTC)  # 16:00 New York in winter
    visible = recorded.as_of(first_close)
    assert [(f.asset, f.prediction, f.model, f.model_version) for f in visible] == [
        ("AAPL", 0.002, "lightgbm", "v1")
    ]
    assert not output.with_name(output.name + ".partial").exists()


def test_csv_tradable_column_is_carried_and_checked(tmp_path: Path) -> None:
    source = tmp_path / "forecasts.csv"
    source.write_text(
        "symbol,time,horizon,prediction,confidence,model_version,status,tradable\n"
        "AAPL,2010-01-04T16:00:00,1d,0.002,0.57,v1,live,True\n"
        "MSFT,2010-01-04T16:00:00,1d,0.001,0.57,v1,shadow,False\n"
        "IBM,2010-01-04T16:00:00,1d,0.001,0.57,v1,candidate,maybe\n",
        encoding="utf-8",
    )
    output = tmp_path / "forecasts.jsonl"
    result = CliRunner().invoke(
        cli,
        ["lean", "export-forecasts", "--from-csv", str(source), "--model", "lightgbm",
         "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "line 4" in result.output
    assert "tradable must be true or false" in result.output
    recorded = RecordedForecasts.from_json_lines(output.read_text(encoding="utf-8"))
    flags = {f.asset: f.tradable for f in recorded.as_of(datetime(2010, 1, 5, tzinfo=UTC))}
    assert flags == {"AAPL": True, "MSFT": False}


def test_csv_without_required_columns_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "forecasts.csv"
    source.write_text("symbol,time,prediction\nAAPL,2010-01-05,0.1\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli, ["lean", "export-forecasts", "--from-csv", str(source), "--output", str(output)]
    )
    assert result.exit_code != 0
    assert "missing columns horizon, confidence, model_version" in result.output
    assert not output.exists()


@pytest.mark.redis
def test_stream_export_filters_by_asset_and_time(tmp_path: Path) -> None:
    start = datetime(2025, 4, 5, 12, 0, tzinfo=UTC)
    with redis_namespace(SHARED_REDIS_URL, prefix="export") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        try:
            published = [
                ForecastUpdate.create(
                    asset=asset,
                    horizon="4h",
                    prediction=0.008,
                    confidence=0.76,
                    now=start + timedelta(hours=hour),
                )
                for hour in range(3)
                for asset in ("BTCUSD", "ETHUSD")
            ]
            for message in published:
                bus.publish(message)
            bus.publish(RiskUpdate.create(risk_factor=0.8, now=start))
            bus.client.xadd(bus.names.stream("forecast_updates"), {"data": b"{not json"})
        finally:
            bus.close()
        output = tmp_path / "forecasts.jsonl"
        result = CliRunner().invoke(
            cli,
            ["lean", "export-forecasts", "--redis-url", SHARED_REDIS_URL, "--namespace", namespace,
             "--assets", "btcusd", "--start", "2025-04-05T13:00:00Z", "--output", str(output)],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "wrote 2 forecasts" in result.output
    assert "1 skipped" in result.output
    lines = output.read_text(encoding="utf-8").splitlines()
    expected = [
        m for m in published if m.asset == "BTCUSD" and m.ts_init >= start + timedelta(hours=1)
    ]
    recorded = RecordedForecasts.from_json_lines("\n".join(lines))
    assert [f.id for f in recorded.as_of(start + timedelta(hours=5))] == [expected[-1].id]
    assert len(lines) == len(expected)
