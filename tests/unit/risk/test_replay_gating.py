"""Only live models trade in the replay: ``tradable`` false never becomes a position."""

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
from risk_models.promotion import no_live_model_reason

PARAMETERS = StrategyParameters().replace(max_allocation=0.5)


def market(days: int = 30) -> pd.DataFrame:
    """Two assets drifting up with small wiggles (UTC bar ends)."""
    times = pd.date_range("2024-01-01 21:00", periods=days, freq="D", tz="UTC")
    rng = np.random.default_rng(2)
    steps = rng.normal(0.001, 0.01, size=(days, 2))
    return pd.DataFrame(100.0 * np.exp(np.cumsum(steps, axis=0)), index=times, columns=["A", "B"])


def confident_forecasts(closes: pd.DataFrame, *, tradable_b: bool) -> pd.DataFrame:
    """A confident up forecast for both assets at every bar; B's from a non-live version."""
    rows = [
        {
            "symbol": symbol,
            "time": time,
            "horizon": "1d",
            "prediction": 0.01,
            "confidence": 0.9,
            "tradable": symbol == "A" or tradable_b,
        }
        for time in closes.index
        for symbol in ("A", "B")
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("managed", [False, True])
def test_forecasts_that_are_not_tradable_never_become_positions(managed: bool) -> None:
    closes = market()
    forecasts = confident_forecasts(closes, tradable_b=False)
    config = ReplayConfig(parameters=PARAMETERS, managed=managed, use_garch=False)
    result = replay(forecasts, closes, config)
    assert (result.weights["B"] == 0.0).all()
    assert (result.weights["A"] > 0.0).any()


def test_managed_reasons_name_each_asset_without_a_live_model() -> None:
    closes = market()
    forecasts = confident_forecasts(closes, tradable_b=False)
    config = ReplayConfig(parameters=PARAMETERS, managed=True, use_garch=False)
    result = replay(forecasts, closes, config)
    for why in result.reasons:
        assert no_live_model_reason("B") in why
        assert no_live_model_reason("A") not in why
    assert result.breaker_trips == 0  # a missing live model is a reason, not a breaker
    unmanaged = replay(forecasts, closes, ReplayConfig(parameters=PARAMETERS, managed=False))
    assert all(why == () for why in unmanaged.reasons)


def test_a_held_asset_whose_new_forecast_is_not_tradable_goes_flat() -> None:
    closes = market(6)
    times = closes.index
    forecasts = pd.DataFrame(
        {
            "symbol": ["A", "A"],
            "time": [times[0], times[2]],
            "horizon": ["1d", "1d"],
            "prediction": [0.01, 0.01],
            "confidence": [0.9, 0.9],
            "tradable": [True, False],  # the version was demoted at the third bar
        }
    )
    parameters = PARAMETERS.replace(forecast_ttl_seconds=30 * 86_400.0)
    config = ReplayConfig(parameters=parameters, managed=True, use_garch=False)
    result = replay(forecasts, closes, config)
    assert (result.weights["A"].iloc[:2] > 0.4).all()
    assert (result.weights["A"].iloc[2:] == 0.0).all()
    assert no_live_model_reason("A") not in result.reasons.iloc[1]
    assert no_live_model_reason("A") in result.reasons.iloc[2]


def test_a_shadow_version_never_displaces_the_live_models_forecast() -> None:
    closes = market(6)
    times = closes.index
    forecasts = pd.DataFrame(
        {
            "symbol": ["A", "A"],
            "time": [times[0], times[2]],
            "horizon": ["1d", "1d"],
            "prediction": [0.01, -0.01],
            "confidence": [0.9, 0.9],
            "tradable": [True, False],
            "model_version": ["champion", "challenger"],  # the challenger is in shadow
        }
    )
    parameters = PARAMETERS.replace(forecast_ttl_seconds=30 * 86_400.0)
    config = ReplayConfig(parameters=parameters, managed=True, use_garch=False)
    result = replay(forecasts, closes, config)
    assert (result.weights["A"] > 0.4).all()  # long on the champion's forecast throughout
    assert not any(no_live_model_reason("A") in why for why in result.reasons)


@pytest.mark.parametrize("managed", [False, True])
def test_ungated_replay_restores_the_weights_of_trading_every_forecast(managed: bool) -> None:
    closes = market()
    gated_input = confident_forecasts(closes, tradable_b=False)
    parameters = PARAMETERS
    ungated = replay(
        gated_input,
        closes,
        ReplayConfig(parameters=parameters, managed=managed, use_garch=False, gated=False),
    )
    old = replay(
        gated_input.drop(columns=["tradable"]),
        closes,
        ReplayConfig(parameters=parameters, managed=managed, use_garch=False),
    )
    pd.testing.assert_frame_equal(ungated.weights, old.weights)
    pd.testing.assert_series_equal(ungated.returns, old.returns)
    assert (ungated.weights["B"] > 0.0).any()
    assert not any(no_live_model_reason("B") in why for why in ungated.reasons)


def test_read_forecasts_tradable_column(tmp_path: Path) -> None:
    header = "symbol,time,horizon,prediction,confidence"
    without = tmp_path / "without.csv"
    without.write_text(f"{header}\nSPY,2021-01-04,1d,0.01,0.6\nQQQ,2021-01-04,1d,0.02,0.7\n")
    assert read_forecasts(without)["tradable"].tolist() == [True, True]
    with_column = tmp_path / "with.csv"
    with_column.write_text(
        f"{header},status,tradable\n"
        "SPY,2021-01-04,1d,0.01,0.6,live,true\n"
        "SPY,2021-01-05,1d,0.01,0.6,shadow,False\n"
        "SPY,2021-01-06,1d,0.01,0.6,live,1\n"
        "SPY,2021-01-07,1d,0.01,0.6,candidate,0\n"
    )
    frame = read_forecasts(with_column)
    assert frame["tradable"].dtype == bool
    assert frame["tradable"].tolist() == [True, False, True, False]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"{header},tradable\nSPY,2021-01-04,1d,0.01,0.6,true\nSPY,2021-01-05,1d,0.01,0.6,maybe\n"
    )
    with pytest.raises(ForecastFileError, match=r"row 3: invalid tradable 'maybe'"):
        read_forecasts(bad)


def write_files(tmp_path: Path, *, tradable: str) -> tuple[Path, Path]:
    """A rising market in LEAN format and a forecasts file of confident up forecasts."""
    days = pd.bdate_range("2022-01-03", periods=60, name="time")
    close = 100.0 * np.cumprod(np.full(len(days), 1.002))
    bars = pd.DataFrame(
        {"open": close, "high": close, "low": close, "close": close, "volume": 1e6}, index=days
    )
    folder = tmp_path / "data"
    write_bars(folder, bars, security_type="equity", market="usa", symbol="UP", resolution="daily")
    path = tmp_path / "forecasts.csv"
    pd.DataFrame(
        {
            "symbol": "UP",
            "time": [(day + pd.Timedelta(hours=16)).isoformat() for day in days],
            "horizon": "1d",
            "prediction": 0.002,
            "confidence": 0.9,
            "model_version": "v1",
            "status": "candidate",
            "tradable": tradable,
        }
    ).to_csv(path, index=False)
    return folder, path


def risk_evaluate(folder: Path, path: Path, *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli,
        ["risk", "evaluate", "--forecasts", str(path), "--data-folder", str(folder),
         "--symbols", "UP", "--no-garch", "--rearm-after-days", "0", *extra],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    if "--json" not in extra:
        return {"text": result.output}
    report: dict[str, object] = json.loads(result.output)
    return report


def test_risk_evaluate_is_gated_by_default_and_ungated_on_request(tmp_path: Path) -> None:
    folder, path = write_files(tmp_path, tradable="false")
    gated = risk_evaluate(folder, path, "--json")
    assert gated["gated"] is True
    assert gated["tradable_forecasts"] == 0
    assert gated["forecasts"] == 60
    assert gated["no_live_model_bars"] == {"UP": gated["bars"]}
    for run in ("unmanaged", "managed"):
        summary = gated[run]
        assert isinstance(summary, dict)
        assert summary["total_return"] == 0.0
    ungated = risk_evaluate(folder, path, "--json", "--ungated")
    assert ungated["gated"] is False
    assert ungated["tradable_forecasts"] == 60
    unmanaged = ungated["unmanaged"]
    assert isinstance(unmanaged, dict)
    assert unmanaged["total_return"] > 0.0
    # --ungated is what the file would give without the column at all.
    live_folder, live_path = write_files(tmp_path / "live", tradable="true")
    everything = risk_evaluate(live_folder, live_path, "--json")
    assert everything["unmanaged"] == ungated["unmanaged"]
    text = risk_evaluate(folder, path)["text"]
    assert isinstance(text, str)
    assert "gated: only tradable forecasts" in text
    assert "0 of 60 tradable" in text
    assert "ungated: every forecast is sized" in risk_evaluate(folder, path, "--ungated")["text"]
