"""``ats risk evaluate`` on a small synthetic market written in LEAN format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from engines.risk.forecasts_file import ForecastFileError, read_forecasts
from engines.risk.replay import ReplayConfig, replay
from market_data.lean import write_bars
from risk_models.parameters import StrategyParameters


def crash_market(days: int = 260) -> pd.DataFrame:
    """Calm rise for 200 days, then a volatile 35 % fall."""
    rng = np.random.default_rng(3)
    calm = rng.normal(0.001, 0.005, 200)
    crash = rng.normal(-0.008, 0.03, days - 200)
    close = 100.0 * np.cumprod(1.0 + np.concatenate([calm, crash]))
    index = pd.DatetimeIndex(pd.bdate_range("2021-01-04", periods=days), name="time")
    return pd.DataFrame(
        {"open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": 1e6},
        index=index,
    )


def write_market(tmp_path: Path, *, first_forecast: int = 0) -> tuple[Path, Path]:
    """The crash market in LEAN format, and a forecasts file from its ``first_forecast``-th bar."""
    bars = crash_market()
    folder = tmp_path / "data"
    write_bars(
        folder, bars, security_type="equity", market="usa", symbol="TEST", resolution="daily"
    )
    times = (bars.index + pd.Timedelta(hours=16))[first_forecast:]
    forecasts = pd.DataFrame(
        {
            "symbol": "TEST",
            "time": [t.isoformat() for t in times],
            "horizon": "1d",
            "prediction": 0.002,
            "confidence": 0.9,
            "model_version": "test",
        }
    )
    path = tmp_path / "forecasts.csv"
    forecasts.to_csv(path, index=False)
    return folder, path


@pytest.fixture
def market(tmp_path: Path) -> tuple[Path, Path]:
    return write_market(tmp_path)


def run(folder: Path, path: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli,
        [
            "risk",
            "evaluate",
            "--forecasts",
            str(path),
            "--data-folder",
            str(folder),
            "--symbols",
            "TEST",
            "--no-garch",
            "--json",
            "--rearm-after-days",
            "0",
            "--parameter",
            "max_allocation=1.0",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.output)
    return report


def test_risk_engine_cuts_the_crash_drawdown(market: tuple[Path, Path]) -> None:
    report = run(*market)
    unmanaged, managed = report["unmanaged"], report["managed"]
    assert isinstance(unmanaged, dict)
    assert isinstance(managed, dict)
    for summary in (unmanaged, managed):
        assert {"cagr", "sharpe", "max_drawdown", "time_in_state", "breaker_trips"} <= set(summary)
        assert 0.0 <= summary["max_drawdown"] <= 1.0
        assert sum(summary["time_in_state"].values()) == pytest.approx(1.0)
    assert unmanaged["max_drawdown"] > 0.25
    assert managed["max_drawdown"] < 0.2
    assert managed["breaker_trips"] >= 1
    assert managed["time_in_state"]["halted"] > 0.0
    assert unmanaged["breaker_trips"] == 0
    assert unmanaged["time_in_state"]["active"] == 1.0


def test_text_report_and_bad_parameter(market: tuple[Path, Path]) -> None:
    folder, path = market
    base = [
        "risk",
        "evaluate",
        "--forecasts",
        str(path),
        "--data-folder",
        str(folder),
        "--symbols",
        "TEST",
        "--no-garch",
    ]
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 0, result.output
    assert "unmanaged" in result.output
    assert "goal:" in result.output
    result = CliRunner().invoke(cli, [*base, "--parameter", "max_allocation=3"])
    assert result.exit_code != 0
    assert "max_allocation must be a number in [0, 1]" in result.output


def test_unknown_symbol_is_a_clear_error(market: tuple[Path, Path]) -> None:
    folder, path = market
    result = CliRunner().invoke(
        cli,
        [
            "risk",
            "evaluate",
            "--forecasts",
            str(path),
            "--data-folder",
            str(folder),
            "--symbols",
            "NOPE",
        ],
    )
    assert result.exit_code != 0
    assert "Error" in result.output


def test_bad_forecast_rows_are_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("symbol,time,horizon,prediction,confidence\nSPY,2021-01-04,1d,0.01,1.4\n")
    with pytest.raises(ForecastFileError, match="row 2: invalid confidence"):
        read_forecasts(path)
    path.write_text("symbol,time,prediction\nSPY,2021-01-04,0.01\n")
    with pytest.raises(ForecastFileError, match="missing column"):
        read_forecasts(path)


def _long_then_short(times: pd.DatetimeIndex) -> pd.DataFrame:
    """A confident up forecast at the first bar, a confident down one at the second."""
    return pd.DataFrame(
        {
            "symbol": ["A", "A"],
            "time": [times[0], times[1]],
            "horizon": ["1d", "1d"],
            "prediction": [0.01, -0.01],
            "confidence": [0.9, 0.9],
        }
    )


def test_unmanaged_replay_return_matches_hand_computation() -> None:
    times = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    closes = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0]}, index=times)
    forecasts = _long_then_short(times)
    parameters = StrategyParameters().replace(max_allocation=0.5)
    result = replay(forecasts, closes, ReplayConfig(parameters=parameters, managed=False))
    # Long 0.5 over +10 %, then short 0.5 over -10 %, then unchanged prices.
    assert result.returns.tolist() == pytest.approx([0.05, 0.05, 0.0])


def test_next_open_fill_holds_old_weights_overnight_and_new_ones_from_the_open() -> None:
    times = pd.date_range("2024-01-01", periods=4, freq="D", tz="UTC")
    closes = pd.DataFrame({"A": [100.0, 110.0, 99.0, 99.0]}, index=times)
    opens = pd.DataFrame({"A": [100.0, 105.0, 100.0, 99.0]}, index=times)
    forecasts = _long_then_short(times)
    parameters = StrategyParameters().replace(max_allocation=0.5)
    config = ReplayConfig(parameters=parameters, managed=False, fill="next_open")
    result = replay(forecasts, closes, config, opens)
    # Day 1: flat overnight, long 0.5 from the open 105 to the close 110.
    # Day 2: long overnight 110 -> 100 (weight drifted to 0.5*110/105 of the book), then
    # short 0.5 from 100 to 99. Day 3: prices stand still. (Day 1's forecast is still live
    # at day 2's close, exactly one time-to-live later, so day 2 decides short again.)
    first = 0.5 * (110 / 105 - 1)
    held = 0.5 * (110 / 105) / (1 + first)
    second = (1 + held * (100 / 110 - 1)) * (1 - 0.5 * (99 / 100 - 1)) - 1
    assert result.returns.tolist() == pytest.approx([first, second, 0.0])
    assert result.weights["A"].tolist() == pytest.approx([0.5, -0.5, -0.5, 0.0])
    with pytest.raises(ValueError, match="opens"):
        replay(forecasts, closes, config)
    with pytest.raises(ValueError, match="fill must be one of"):
        ReplayConfig(fill="tomorrow")  # type: ignore[arg-type]


def test_cli_fills_at_the_next_open_on_request(market: tuple[Path, Path]) -> None:
    at_close = run(*market)
    at_open = run(*market, "--fill", "next-open")
    assert at_open["forecasts"] == at_close["forecasts"]
    unmanaged_close = at_close["unmanaged"]
    unmanaged_open = at_open["unmanaged"]
    assert isinstance(unmanaged_close, dict)
    assert isinstance(unmanaged_open, dict)
    assert unmanaged_open["total_return"] != unmanaged_close["total_return"]


@pytest.fixture
def late_forecasts(tmp_path: Path) -> tuple[Path, Path, str]:
    """The crash market, with forecasts only from its 101st bar on."""
    folder, path = write_market(tmp_path, first_forecast=100)
    return folder, path, crash_market().index[100].strftime("%Y-%m-%d")


def test_figures_are_measured_from_the_first_forecast(
    late_forecasts: tuple[Path, Path, str],
) -> None:
    folder, path, first_day = late_forecasts
    report = run(folder, path)
    assert report["warm_up_bars"] == 100
    assert report["bars"] == 160
    assert str(report["measured_from"]).startswith(first_day)
    managed, unmanaged = report["managed"], report["unmanaged"]
    assert isinstance(managed, dict)
    assert isinstance(unmanaged, dict)
    # The 100 bars without forecasts would be stale-forecast time in "reducing".
    assert managed["time_in_state"]["reducing"] < 0.2
    # Unmanaged sizing has no state: measuring from the first forecast is the same as
    # starting the data there.
    started = run(folder, path, "--start", first_day)
    assert started["warm_up_bars"] == 0
    started_unmanaged = started["unmanaged"]
    assert isinstance(started_unmanaged, dict)
    for figure in ("cagr", "sharpe", "max_drawdown", "total_return"):
        assert unmanaged[figure] == pytest.approx(started_unmanaged[figure])


def test_a_trimmed_replay_counts_only_what_happens_after_its_start() -> None:
    times = pd.date_range("2024-01-01", periods=40, freq="D", tz="UTC")
    # Up for 10 days, a 30 % fall over 10 (drawdown breaker: halted), then flat.
    path = np.concatenate([np.linspace(100, 110, 10), np.linspace(110, 77, 10), np.full(20, 77)])
    closes = pd.DataFrame({"A": path}, index=times)
    forecasts = pd.DataFrame(
        {
            "symbol": "A",
            "time": times,
            "horizon": "1d",
            "prediction": 0.01,
            "confidence": 0.9,
        }
    )
    config = ReplayConfig(
        parameters=StrategyParameters().replace(max_allocation=1.0),
        rearm_after=pd.Timedelta(days=3).to_pytimedelta(),
        use_garch=False,
    )
    full = replay(forecasts, closes, config)
    assert full.breaker_trips >= 1
    assert full.rearms >= 1
    assert int(full.rearms_per_bar.sum()) == full.rearms
    tripped = [i for i, why in enumerate(full.reasons) if "drawdown_limit" in why]
    assert tripped
    # Start while the breaker holds: it was tripped before, so it is no trip here.
    inside = full.since(times[tripped[0] + 1])
    assert len(inside.states) == len(times) - tripped[0] - 1
    assert inside.returns.index[0] > inside.states.index[0]
    assert inside.breaker_trips <= full.breaker_trips - 1
    assert inside.rearms == int(full.rearms_per_bar.iloc[tripped[0] + 1 :].sum())
    assert full.since(times[0]).breaker_trips == full.breaker_trips
    with pytest.raises(ValueError, match="no bar at or after"):
        full.since(times[-1] + pd.Timedelta(days=1))
