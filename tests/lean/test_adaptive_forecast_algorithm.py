"""``algorithms/adaptive_forecast/main.py``, unchanged, run through the LEAN model.

The model (``tests/lean/lean_model``) follows LEAN's source for the clock, the data, the
framework loop, scheduled events, insight close times, order conversions and fills. The
algorithm runs with the parameters of its ``config.json`` (what ``lean backtest`` passes),
only the dates and, for crypto, the market changed.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli as ats
from engines.risk.replay import ReplayConfig, replay
from signal_bus.codec import decode, encode
from signal_bus.messages import ForecastUpdate, RiskUpdate
from tests.lean.lean_model.algorithm_imports import DeploymentTarget, OrderType
from tests.lean.lean_model.engine import Engine, RunResult
from tests.lean.lean_model.market_hours import CRYPTO, US_EQUITY
from tests.support.waiting import wait_until

PROJECT = Path(__file__).resolve().parents[2] / "algorithms" / "adaptive_forecast"
CONFIG = json.loads((PROJECT / "config.json").read_text(encoding="utf-8"))["parameters"]
YEAR = {"start_date": "2011-01-01", "end_date": "2011-12-31"}
# The order, fill and insight mechanics are checked on every forecast; the default
# (gated) run, where only proven model versions trade, has its own tests below.
UNGATED = {**YEAR, "gated": "false"}
# Positions are compared as weights of the portfolio: LEAN sizes whole shares on the
# value less its 0.25 % free buffer (PortfolioTarget.Percent), fills at the next open
# and pays fees, the replay holds exact weights; one AAPL share is ~0.33 % here.
WEIGHT_TOLERANCE = 0.01

# Threads and Redis deliver in their own time: poll, up to 10.0 s unless a call says otherwise.
_wait = functools.partial(wait_until, timeout=10.0)


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("adaptive_forecast_main", PROJECT / "main.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _algorithm(overrides: dict[str, str]) -> Any:
    """The project's algorithm, recording every forecast the in-algorithm source makes."""
    base = _module().AdaptiveForecastAlgorithm

    class Recording(base):  # type: ignore[misc, valid-type]
        made: list[ForecastUpdate]

        def initialize(self) -> None:
            super().initialize()
            self.made = []
            source = self._alpha.source
            if hasattr(source, "refresh"):
                refresh = source.refresh

                def recorded(*args: Any, **kwargs: Any) -> list[ForecastUpdate]:
                    forecasts: list[ForecastUpdate] = refresh(*args, **kwargs)
                    self.made.extend(forecasts)
                    return forecasts

                source.refresh = recorded

    algorithm = Recording()
    algorithm._parameters = {**CONFIG, **overrides}
    return algorithm


def _import(*arguments: str) -> None:
    outcome = CliRunner().invoke(ats, ["data", "import", *arguments], catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output


@dataclass
class Run:
    algorithm: Any
    result: RunResult

    @property
    def forecasts(self) -> list[ForecastUpdate]:
        return list(self.algorithm.made)


@pytest.fixture(scope="module")
def equity_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lean-data")
    _import("--source", "bundled", "--symbols", "AAPL,MSFT", "--data-folder", str(folder))
    return folder


@pytest.fixture(scope="module")
def daily(equity_folder: Path) -> Run:
    algorithm = _algorithm(UNGATED)
    return Run(algorithm, Engine(algorithm, data_folder=equity_folder).run())


@pytest.fixture(scope="module")
def daily_gated(equity_folder: Path) -> Run:
    algorithm = _algorithm(YEAR)
    return Run(algorithm, Engine(algorithm, data_folder=equity_folder).run())


def _passes(forecast: ForecastUpdate, parameters: Any) -> bool:
    return (
        forecast.confidence > parameters.entry_confidence
        and abs(forecast.prediction) >= parameters.min_prediction_magnitude
        and forecast.prediction != 0.0
    )


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- daily US equity, in_algorithm


def test_ungated_daily_backtest_trades_on_the_days_forecasts_pass_the_entry_threshold(
    daily: Run,
) -> None:
    result, parameters = daily.result, daily.algorithm.risk_model.settings.current
    assert result.missing_data == []
    # One slice per NYSE session of 2011 at its close (16:00 New York, 13:00 on the day
    # after Thanksgiving), and the alpha is called on each (they all carry data).
    assert len(result.slices) == 252
    closes = {US_EQUITY.from_utc(moment).time().isoformat() for moment in result.slices}
    assert closes == {"16:00:00", "13:00:00"}
    assert result.alpha_calls == len(result.slices)
    # Forecasts are made on the slice of the bar they use and stamped at its UTC end.
    assert daily.forecasts
    assert {_naive(f.ts_event) for f in daily.forecasts} <= set(result.slices)
    entries = {(_naive(f.ts_event), f.asset) for f in daily.forecasts if _passes(f, parameters)}
    assert entries, "no forecast passed the entry threshold this year"
    ordered = {(fill.submitted_utc, fill.symbol) for fill in result.fills}
    flat_before = {
        (moment, asset)
        for moment, asset in entries
        if result.intended[_previous(result.slices, moment)].get(asset, 0.0) == 0.0
    }
    assert flat_before <= ordered
    assert len(result.fills) >= len(flat_before) > 0


def _previous(slices: list[datetime], moment: datetime) -> datetime:
    index = slices.index(moment)
    return slices[index - 1] if index else moment


def test_orders_at_the_close_fill_at_the_next_open_as_market_on_open(
    daily: Run, equity_folder: Path
) -> None:
    from market_data.lean_format.reader import read_bars

    opens = {
        symbol: read_bars(
            equity_folder, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )["open"]
        for symbol in ("AAPL", "MSFT")
    }
    slices = daily.result.slices
    for fill in daily.result.fills:
        assert fill.order_type == OrderType.MARKET_ON_OPEN
        assert fill.filled_utc == slices[slices.index(fill.submitted_utc) + 1]
        session = US_EQUITY.from_utc(fill.filled_utc).date()
        assert fill.price == pytest.approx(float(opens[fill.symbol].loc[str(session)]))


def test_every_order_tag_traces_to_a_forecast_and_model_version(daily: Run) -> None:
    forecasts = {forecast.id: forecast for forecast in daily.forecasts}
    tags = {fill.tag for fill in daily.result.fills}
    assert tags <= set(forecasts) | {"no_active_forecast"}
    traced = [forecasts[tag] for tag in tags if tag in forecasts]
    assert traced
    assert all(f.model == "sklearn" and f.model_version for f in traced)
    sources = {insight.tag: insight.source_model for insight in daily.result.insights}
    for forecast in traced:
        assert sources[forecast.id] == f"sklearn:{forecast.model_version}"


def test_every_insight_closes_when_its_forecast_horizon_ends(daily: Run) -> None:
    slices = daily.result.slices
    assert daily.result.insights
    for insight in daily.result.insights:
        horizon_end = US_EQUITY.from_utc(insight.generated_time_utc + timedelta(days=1))
        # Insight.cs CloseTimePeriodSpecification: a close while the market is closed
        # moves to the next market open.
        expected = (
            horizon_end
            if US_EQUITY.is_open(horizon_end)
            else US_EQUITY.next_market_open(horizon_end)
        )
        assert US_EQUITY.from_utc(insight.close_time_utc) == expected
        later = [s for s in slices if s > insight.generated_time_utc and insight.is_active(s)]
        # Active on the slice its horizon is meant for, never on a slice after it.
        assert len(later) <= 1
        if later:
            assert later[0] <= US_EQUITY.to_utc(expected)


def test_daily_positions_equal_the_risk_replay_of_the_same_forecasts(daily: Run) -> None:
    algorithm, result = daily.algorithm, daily.result
    # The in-algorithm source has no risk engine: the local drawdown rule is the only
    # risk control. It stayed at factor 1 all year, so the unmanaged replay applies the
    # same risk control (the test fails here if that stops being true).
    assert [line for line in algorithm._logs if line.startswith("risk_changed")] == [
        "risk_changed state=active factor=1.000 reasons=-"
    ]
    replayed = _replay(daily.forecasts, result, algorithm.risk_model.settings.current)
    lean = _intended_weights(result)
    assert (lean.abs().to_numpy() > 0.05).any(), "the run never held a position"
    difference = (lean - replayed.loc[lean.index, lean.columns]).abs()
    assert float(difference.to_numpy().max()) <= WEIGHT_TOLERANCE


def _intended_weights(result: RunResult) -> pd.DataFrame:
    rows = {}
    for moment in result.slices:
        equity = result.equity[moment]
        rows[moment] = {
            symbol: quantity * result.prices[moment][symbol] / equity
            for symbol, quantity in result.intended[moment].items()
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return frame


def _forecast_frame(forecasts: list[ForecastUpdate]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [f.asset for f in forecasts],
            "time": [pd.Timestamp(f.ts_event) for f in forecasts],
            "horizon": [f.horizon for f in forecasts],
            "prediction": [f.prediction for f in forecasts],
            "confidence": [f.confidence for f in forecasts],
        }
    )


def _replay(forecasts: list[ForecastUpdate], result: RunResult, parameters: Any) -> pd.DataFrame:
    """``ats risk evaluate``'s replay: same sizing rule and parameters, no risk engine."""
    frame = _forecast_frame(forecasts)
    closes = pd.DataFrame.from_dict(result.prices, orient="index")
    closes.index = pd.DatetimeIndex(closes.index).tz_localize("UTC")
    outcome = replay(frame, closes, ReplayConfig(parameters=parameters, managed=False))
    return outcome.weights


# ---------------------------------------------------------------- the other sources


def _export(forecasts: list[ForecastUpdate]) -> str:
    return "\n".join(encode(forecast).decode() for forecast in forecasts)


def test_recorded_source_replays_the_same_forecasts_into_the_same_orders(
    daily: Run, equity_folder: Path
) -> None:
    algorithm = _algorithm({**YEAR, "forecast_source": "recorded"})
    algorithm.object_store.save(CONFIG["forecasts_location"], _export(daily.forecasts))
    result = Engine(algorithm, data_folder=equity_folder).run()
    assert _fills(result) == _fills(daily.result)


# ---------------------------------------------------------------- only proven models trade


def test_default_backtest_gates_every_model_version_and_trades_only_live_ones(
    daily_gated: Run,
) -> None:
    result, algorithm = daily_gated.result, daily_gated.algorithm
    made = daily_gated.forecasts
    assert made
    decisions = [line for line in algorithm._logs if line.startswith("model_version=")]
    assert decisions, "the gate's decisions are not logged"
    # On the bundled AAPL and MSFT no model version shows an edge: each stays a
    # candidate, with the failed gates and their numbers in the log, and nothing trades.
    assert all(" status=candidate reasons=" in line for line in decisions)
    assert all("bootstrap t" in line or "resolved forecast dates" in line for line in decisions)
    assert not any(forecast.tradable for forecast in made)
    assert result.insights == []
    assert result.fills == []
    assert all(not any(held.values()) for held in result.intended.values())


def test_a_model_with_a_planted_edge_goes_live_after_its_shadow_period_and_trades(
    crypto_gated: Run,
) -> None:
    result, algorithm = crypto_gated.result, crypto_gated.algorithm
    decisions = [line for line in algorithm._logs if line.startswith("model_version=")]
    statuses = [line.split(" status=")[1].split(" ")[0] for line in decisions]
    # Hourly BTCUSDT with a planted AR(1): candidate while the evidence builds, then
    # shadow once the out-of-sample gates pass, then live after the shadow period.
    assert statuses[0] == "candidate"
    first_shadow = statuses.index("shadow")
    assert statuses[first_shadow + 1 :]
    assert set(statuses[first_shadow + 1 :]) == {"live"}
    tradable = {forecast.id: forecast for forecast in crypto_gated.forecasts if forecast.tradable}
    untradable = {forecast.id for forecast in crypto_gated.forecasts if not forecast.tradable}
    assert tradable
    assert untradable
    # Only the live version's forecasts became insights and orders, and it did trade.
    assert {insight.tag for insight in result.insights} <= set(tradable)
    assert result.fills
    assert {fill.tag for fill in result.fills} <= set(tradable) | {"no_active_forecast"}
    first_live = min(forecast.ts_event for forecast in tradable.values())
    assert all(fill.submitted_utc >= _naive(first_live) for fill in result.fills)


def _untradable_after(
    forecasts: list[ForecastUpdate], asset: str, moment: datetime
) -> list[ForecastUpdate]:
    return [
        replace(forecast, tradable=False)
        if forecast.asset == asset and _naive(forecast.ts_event) >= moment
        else forecast
        for forecast in forecasts
    ]


def test_non_tradable_forecasts_never_become_insights_or_targets(
    daily: Run, equity_folder: Path
) -> None:
    # The ungated run's forecasts, replayed; from mid-year MSFT's model is not live.
    cut = datetime(2011, 7, 1)
    forecasts = _untradable_after(daily.forecasts, "MSFT", cut)
    algorithm = _algorithm({**YEAR, "forecast_source": "recorded"})
    algorithm.object_store.save(CONFIG["forecasts_location"], _export(forecasts))
    result = Engine(algorithm, data_folder=equity_folder).run()
    untradable = {forecast.id for forecast in forecasts if not forecast.tradable}
    assert untradable
    assert not {insight.tag for insight in result.insights} & untradable
    assert not {fill.tag for fill in result.fills} & untradable
    # MSFT held a position before the cut; it closes at the first rebalance after it
    # (its still-active insight is cancelled) and stays flat.
    before = [moment for moment in result.slices if moment < cut]
    assert any(result.intended[moment].get("MSFT", 0.0) for moment in before)
    after = [moment for moment in result.slices if moment >= cut]
    assert all(result.intended[moment].get("MSFT", 0.0) == 0.0 for moment in after[1:])
    assert any(result.intended[moment].get("AAPL", 0.0) for moment in after)
    # The forecasts AAPL trades on are the ungated run's: its orders are unchanged.
    aapl = [fill for fill in _fills(daily.result) if fill[1] == "AAPL"]
    assert [fill for fill in _fills(result) if fill[1] == "AAPL"] == aapl


def _fills(result: RunResult) -> list[tuple[datetime, str, float, str]]:
    return [(f.filled_utc, f.symbol, f.quantity, f.tag) for f in result.fills]


def _risk_clear(moment: datetime) -> RiskUpdate:
    return RiskUpdate.create(
        risk_factor=1.0, reasons=[], state="active", now=moment.replace(tzinfo=UTC)
    )


def _by_slice(forecasts: list[ForecastUpdate]) -> dict[datetime, list[ForecastUpdate]]:
    grouped: dict[datetime, list[ForecastUpdate]] = {}
    for forecast in forecasts:
        grouped.setdefault(_naive(forecast.ts_event), []).append(forecast)
    return grouped


def test_command_source_in_live_mode_trades_the_forecasts_it_is_sent(
    daily: Run, equity_folder: Path
) -> None:
    grouped = _by_slice(daily.forecasts)
    commands: dict[datetime, list[Any]] = {}
    for moment in daily.result.slices:
        batch: list[Any] = [
            {"channel": "risk_updates", "payload": encode(_risk_clear(moment)).decode()}
        ]
        batch += [
            {"channel": "forecast_updates", "payload": encode(f).decode()}
            for f in grouped.get(moment, [])
        ]
        commands[moment] = batch
    live = _algorithm({**YEAR, "forecast_source": "command"})
    result = Engine(live, data_folder=equity_folder, live_mode=True, commands=commands).run()
    assert all(accepted for _, accepted in result.command_results)
    assert _fills(result) == _fills(daily.result)

    # Engine/Server/LocalLeanManager.cs: no command handler outside live mode, so the same
    # commands never reach a backtest and it has nothing to trade.
    backtest = _algorithm({**YEAR, "forecast_source": "command"})
    quiet = Engine(backtest, data_folder=equity_folder, commands=commands).run()
    assert quiet.command_results == []
    assert quiet.fills == []


@pytest.mark.redis
def test_redis_source_in_live_mode_trades_what_the_bus_publishes(
    daily: Run, equity_folder: Path
) -> None:
    from signal_bus.channels import EXECUTION_EVENTS
    from signal_bus.redis_bus import RedisBus
    from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

    grouped = _by_slice(daily.forecasts)
    with redis_namespace(SHARED_REDIS_URL, prefix="lean-e2e") as namespace:
        bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
        algorithm = _algorithm(
            {
                **YEAR,
                "forecast_source": "redis",
                "redis_url": SHARED_REDIS_URL,
                "bus_namespace": namespace,
            }
        )

        def publish(moment: datetime) -> None:
            due = grouped.get(moment, [])
            for message in [_risk_clear(moment), *due]:
                bus.publish(message)
            wanted = {f.id for f in due}
            assert _wait(lambda: wanted <= {f.id for f in algorithm.inbox.forecasts()})
            assert _wait(lambda: algorithm.inbox.risk() is not None)

        result = Engine(
            algorithm, data_folder=equity_folder, live_mode=True, before_slice=publish
        ).run()
        assert _fills(result) == _fills(daily.result)
        entries = bus.read_stream(EXECUTION_EVENTS, after="0", count=100_000, block_ms=None)
        bus.close()
    records = [decode(entry.payload, EXECUTION_EVENTS) for entry in entries if entry.payload]
    filled = [r for r in records if getattr(r, "status", None) == "filled"]
    assert [r.tag for r in filled] == [f.tag for f in daily.result.fills]


def test_cloud_live_reports_fills_through_web_notifications(
    daily: Run, equity_folder: Path
) -> None:
    webhook = "https://backend.example/api/execution-events"
    algorithm = _algorithm(
        {
            **YEAR,
            "forecast_source": "recorded",
            "execution_webhook_url": webhook,
            "snapshot_minutes": "1440",
        }
    )
    algorithm._deployment_target = DeploymentTarget.CLOUD_PLATFORM
    algorithm.object_store.save(CONFIG["forecasts_location"], _export(daily.forecasts))
    result = Engine(algorithm, data_folder=equity_folder, live_mode=True).run()
    posted = [json.loads(m.data) for m in algorithm.notify.messages if m.address == webhook]
    filled = [p for p in posted if p["type"] == "order_event" and p["status"] == "filled"]
    assert [p["tag"] for p in filled] == [f.tag for f in result.fills]
    assert any(p["type"] == "portfolio_snapshot" for p in posted)


# ---------------------------------------------------------------- hourly crypto, 4h horizon


def _crypto_csv(path: Path) -> None:
    """Hourly BTCUSDT bars, 2024-01-01 .. 2024-04-10 UTC, seeded, with momentum.

    Hourly returns follow an AR(1) with coefficient 0.3, so the next hours are partly
    predictable and the calibrated confidence can pass the entry threshold.
    """
    generator = np.random.default_rng(7)
    times = pd.date_range("2024-01-01", "2024-04-10 23:00", freq="h")
    noise = generator.normal(0.0, 0.004, len(times))
    returns = np.zeros(len(times))
    for index in range(1, len(times)):
        returns[index] = 0.3 * returns[index - 1] + noise[index]
    close = 40_000 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[close[0]], close[:-1]])
    spread = np.abs(generator.normal(0.0, 0.002, len(times))) * close
    frame = pd.DataFrame(
        {
            "time": times.strftime("%Y-%m-%d %H:%M:%S"),
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": generator.uniform(10, 100, len(times)),
        }
    )
    frame.to_csv(path, index=False)


def _crypto_run(tmp_path_factory: pytest.TempPathFactory, gated: bool) -> Run:
    folder = tmp_path_factory.mktemp("lean-crypto")
    csv = folder / "BTCUSDT.csv"
    _crypto_csv(csv)
    _import(
        "--source", "csv", "--csv-path", str(csv), "--resolution", "hour",
        "--security-type", "crypto", "--data-folder", str(folder),
    )  # fmt: skip
    algorithm = _algorithm(
        {
            "start_date": "2024-04-01",
            "end_date": "2024-04-10",
            "security_type": "crypto",
            "assets": "BTCUSDT",
            "resolution": "hour",
            "horizon": "4h",
            "account_currency": "USDT",
            # Hourly bars: a longer window and weekly refits, so earlier weeks'
            # out-of-sample forecasts calibrate the confidence.
            "lookback_bars": "2000",
            "retrain_frequency": "weekly",
            "gated": "true" if gated else "false",
        }
    )
    return Run(algorithm, Engine(algorithm, data_folder=folder).run())


@pytest.fixture(scope="module")
def crypto(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _crypto_run(tmp_path_factory, gated=False)


@pytest.fixture(scope="module")
def crypto_gated(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return _crypto_run(tmp_path_factory, gated=True)


def test_hourly_crypto_reads_what_ats_data_import_wrote_and_trades(crypto: Run) -> None:
    result = crypto.result
    assert result.missing_data == []
    security = crypto.algorithm.securities[crypto.algorithm.assets[0]]
    assert security._market == "binance"
    # Hourly bars ending 01:00 on April 1 to 23:00 on April 10 (the one ending at the
    # start, midnight, belongs to March 31; the one ending at midnight after the end date
    # is past the end).
    assert len(result.slices) == 10 * 24 - 1
    assert crypto.forecasts
    assert {f.horizon for f in crypto.forecasts} == {"4h"}
    assert result.fills, "no crypto orders"
    # Crypto never closes: plain market orders, filled on the slice they are sent.
    assert {fill.order_type for fill in result.fills} == {OrderType.MARKET}
    assert all(fill.filled_utc == fill.submitted_utc for fill in result.fills)
    for insight in result.insights:
        assert insight.close_time_utc == insight.generated_time_utc + timedelta(hours=4)
        assert CRYPTO.is_open(insight.close_time_utc)


def test_hourly_crypto_positions_equal_the_risk_replay(crypto: Run) -> None:
    replayed = _replay(
        crypto.forecasts, crypto.result, crypto.algorithm.risk_model.settings.current
    )
    lean = _intended_weights(crypto.result)
    assert (lean.abs().to_numpy() > 0.05).any()
    difference = (lean - replayed.loc[lean.index, lean.columns]).abs()
    assert float(difference.to_numpy().max()) <= WEIGHT_TOLERANCE


def test_crypto_without_a_market_would_read_the_default_brokerage_market() -> None:
    # QCAlgorithm.AddCrypto with no market: the brokerage model's default
    # (DefaultBrokerageModel: coinbase), not the binance folder `ats data import` writes.
    from tests.lean.lean_model.algorithm_imports import QCAlgorithm

    assert QCAlgorithm().add_crypto("BTCUSDT")._market == "coinbase"


# ---------------------------------------------------------------- commands


def test_breaker_rearm_command_is_audited_and_refused_when_incomplete() -> None:
    algorithm = _module().AdaptiveForecastAlgorithm()
    algorithm._parameters = {"forecast_source": "command"}
    algorithm.initialize()
    monitor = algorithm.risk_model.monitor
    parameters = algorithm.risk_model.settings.current
    now = pd.Timestamp("2010-01-05T00:00:00Z").to_pydatetime()
    monitor.evaluate(100_000.0, now, parameters)
    assert monitor.evaluate(80_000.0, now, parameters).state.value == "halted"

    assert algorithm.on_command({"rearm": "drawdown_limit", "by": "operator"}) is False
    assert (
        algorithm.on_command({"rearm": "volatility_spike", "by": "operator", "reason": "x"})
        is False
    )
    assert "drawdown_limit" in monitor.controller.latched
    assert (
        algorithm.on_command({"rearm": "drawdown_limit", "by": "operator", "reason": "reviewed"})
        is True
    )
    assert monitor.controller.latched == {}
    assert monitor.controller.rearms[-1].by == "operator"
    logs = algorithm._logs
    assert sum("breaker_rearm_refused" in line for line in logs) == 2
    assert any("breaker_rearmed breaker=drawdown_limit by=operator" in line for line in logs)


def test_daily_returns_equal_the_replay_filled_at_the_next_open(
    daily: Run, equity_folder: Path
) -> None:
    """``ats risk evaluate --fill next-open`` gives LEAN's daily returns, within 0.1 % a day.

    What remains is whole shares, LEAN's 0.25 % cash buffer and fees.
    """
    from market_data.lean_format.reader import read_bars

    result, parameters = daily.result, daily.algorithm.risk_model.settings.current
    closes = pd.DataFrame.from_dict(result.prices, orient="index")
    closes.index = pd.DatetimeIndex(closes.index).tz_localize("UTC")
    sessions = [US_EQUITY.from_utc(moment).date() for moment in result.slices]
    opens = {}
    for symbol in closes.columns:
        bars = read_bars(
            equity_folder, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )
        by_day = pd.Series(bars["open"].to_numpy(), index=[t.date() for t in bars.index])
        opens[symbol] = by_day.loc[sessions].to_numpy()
    config = ReplayConfig(parameters=parameters, managed=False, fill="next_open")
    frame = _forecast_frame(daily.forecasts)
    replayed = replay(frame, closes, config, pd.DataFrame(opens, index=closes.index)).returns
    lean = pd.Series(result.equity).pct_change().dropna()
    lean.index = pd.DatetimeIndex(lean.index).tz_localize("UTC")
    assert float(replayed.abs().max()) > 0.005, "the replay never moved"
    assert float((lean - replayed.loc[lean.index]).abs().max()) <= 1e-3
    assert abs(float((1 + lean).prod() - (1 + replayed).prod())) <= 0.005
