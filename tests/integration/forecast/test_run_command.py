"""``ats forecast run``: retrain when due, forecast the latest bars, publish on the bus."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from alpha_models.bars import BarPanel
from alpha_models.walk_forward import WalkForwardConfig, WalkForwardTrainer
from ats.cli.main import cli
from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.sources import BarRequest
from market_data.lean import read_bars, write_bars
from signal_bus import FORECAST_UPDATES, ForecastUpdate, InMemoryBus, RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.unit.alpha_models.synthetic import random_walk_bars

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def _write(folder: Path, days: int) -> None:
    for symbol, bars in random_walk_bars(("AAA", "BBB"), days=days, seed=9).items():
        frame = bars.drop(columns=["end_time"])
        frame[["open", "high", "low", "close"]] = frame[["open", "high", "low", "close"]].round(2)
        write_bars(
            folder, frame, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )


def _config(folder: Path, registry: Path) -> ForecastEngineConfig:
    request = BarRequest(
        source="lean",
        data_folder=folder,
        security_type="equity",
        market="usa",
        resolution="daily",
        symbols=("AAA", "BBB"),
    )
    return ForecastEngineConfig(bars=request, registry_folder=registry, model="sklearn")


def test_engine_publishes_the_walk_forward_forecast_of_the_latest_bar(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=500)
    bus = InMemoryBus()
    engine = ForecastEngine(_config(tmp_path / "data", tmp_path / "models"), bus)
    first = engine.run_cycle(NOW)
    assert first.versions_trained > 1
    assert {update.asset for update in first.forecasts} == {"AAA", "BBB"}

    frames = {
        s: read_bars(
            tmp_path / "data", security_type="equity", market="usa", symbol=s, resolution="daily"
        )
        for s in ("AAA", "BBB")
    }
    expected = WalkForwardTrainer(WalkForwardConfig(model="sklearn")).run(
        BarPanel.from_frames(frames)
    )
    last_aaa = expected[expected["symbol"] == "AAA"].iloc[-1]
    published = bus.last(FORECAST_UPDATES, "AAA:1d")
    assert isinstance(published, ForecastUpdate)
    assert published.prediction == last_aaa["prediction"]
    assert published.confidence == last_aaa["confidence"]
    assert published.model_version == last_aaa["model_version"]
    assert published.ts_init == NOW
    # made at the last bar's close: 16:00 New York is 21:00 UTC in winter
    last_close = pd.Timestamp(frames["AAA"]["end_time"].iloc[-1]).tz_localize("America/New_York")
    assert published.ts_event == last_close.tz_convert("UTC").to_pydatetime()
    assert (tmp_path / "models" / published.model_version / "metadata.json").is_file()

    again = engine.run_cycle(NOW)
    assert again.versions_trained == 0  # same period: versions are reused, not retrained
    # within the period the engine predicts from a trailing window: same version, same value
    # up to floating-point rounding of the rolling features
    assert again.forecasts[0].model_version == first.forecasts[0].model_version
    assert again.forecasts[0].prediction == pytest.approx(first.forecasts[0].prediction, rel=1e-9)
    assert again.forecasts[0].confidence == pytest.approx(first.forecasts[0].confidence, rel=1e-9)

    _write(tmp_path / "data", days=540)  # two more months of bars: retraining is due
    later = engine.run_cycle(NOW)
    assert later.versions_trained >= 1
    assert later.forecasts[0].ts_event > first.forecasts[0].ts_event


@pytest.mark.redis
def test_run_command_publishes_forecasts_to_redis(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=400)
    with redis_namespace(prefix="test-forecast-run") as namespace:
        result = CliRunner().invoke(
            cli,
            [
                "forecast",
                "run",
                "--once",
                "--data-folder",
                str(tmp_path / "data"),
                "--symbols",
                "AAA,BBB",
                "--model",
                "statsmodels",
                "--registry",
                str(tmp_path / "models"),
                "--redis-url",
                SHARED_REDIS_URL,
                "--namespace",
                namespace,
            ],
        )
        assert result.exit_code == 0, result.output
        assert "2 forecasts published" in result.output
        with RedisBus(url=SHARED_REDIS_URL, namespace=namespace) as bus:
            values = bus.last_values(FORECAST_UPDATES)
        assert set(values) == {"AAA:1d", "BBB:1d"}
        update = values["BBB:1d"]
        assert isinstance(update, ForecastUpdate)
        assert 0.0 <= update.confidence <= 1.0
        assert update.model == "statsmodels"
        assert update.model_version in result.output


def test_dry_run_and_bad_settings(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=700)
    _write(tmp_path / "short", days=300)
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "forecast",
            "run",
            "--once",
            "--dry-run",
            "--data-folder",
            str(tmp_path / "data"),
            "--symbols",
            "AAA",
            "--model",
            "statsmodels",
            "--registry",
            str(tmp_path / "models"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 forecasts computed (dry run)" in result.output
    short = runner.invoke(
        cli,
        [
            "forecast",
            "run",
            "--once",
            "--dry-run",
            "--data-folder",
            str(tmp_path / "short"),
            "--symbols",
            "AAA",
            "--model",
            "statsmodels",
            "--registry",
            str(tmp_path / "models"),
        ],
    )
    assert short.exit_code == 0
    assert "no forecast for AAA:1d: too little history" in short.output
    assert "0 forecasts computed" in short.output
    bad = runner.invoke(
        cli, ["forecast", "run", "--once", "--dry-run", "--source", "bundled", "--horizons", "4h"]
    )
    assert bad.exit_code != 0
    assert "shorter than one daily bar" in bad.output
    missing = runner.invoke(cli, ["forecast", "run", "--once", "--dry-run", "--symbols", "AAA"])
    assert missing.exit_code != 0
    assert "--data-folder is required" in missing.output


def test_unreachable_redis_fails_the_cycle_with_a_clear_message(tmp_path: Path) -> None:
    _write(tmp_path / "data", days=700)
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            "run",
            "--once",
            "--data-folder",
            str(tmp_path / "data"),
            "--symbols",
            "AAA",
            "--model",
            "statsmodels",
            "--registry",
            str(tmp_path / "models"),
            "--redis-url",
            "redis://127.0.0.1:1/0",
        ],
    )
    assert result.exit_code != 0
    assert "cannot publish to Redis" in result.output
    # the trained versions are kept: nothing is lost, the next cycle reuses them
    assert any((tmp_path / "models").iterdir())
