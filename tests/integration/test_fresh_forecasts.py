"""Live forecast cycles never forecast on stale bars; the risk engine's staleness rule takes over.

The engine reads the ``database`` source through an injected bar loader standing in for
the backend's bar table, publishes on the real Redis server, and the risk engine (its own
consumers, with an injected clock) reads what was published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.freshness import FreshnessRule
from engines.forecast.sources import BarRequest, BarSourceError, load_bars
from engines.risk.engine import RiskEngine, RiskEngineConfig
from market_data.lean import write_bars
from risk_models.breakers import STALE_FORECASTS
from risk_models.parameters import StrategyParameters
from signal_bus import FORECAST_UPDATES, RISK_UPDATES, ForecastUpdate, RiskUpdate
from signal_bus.messages import PortfolioSnapshot
from signal_bus.redis_bus import RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.unit.alpha_models.synthetic import random_walk_bars

MONDAY = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)  # 10:00 New York
FRIDAY = dt.datetime(2026, 1, 16, 15, 0, tzinfo=dt.UTC)
FRESH_UNTIL = "2026-01-09"  # AAA's table ends with last Friday's session
STALE_UNTIL = "2026-01-02"  # BBB's ingestion stopped a week earlier


def _table(bbb_until: str = STALE_UNTIL) -> dict[str, pd.DataFrame]:
    frames = {}
    for (symbol, frame), last in zip(
        random_walk_bars(("AAA", "BBB"), days=520, seed=31, momentum=0.3).items(),
        (FRESH_UNTIL, bbb_until),
        strict=True,
    ):
        times = pd.bdate_range(end=last, periods=len(frame), name="time")
        moved = frame.set_axis(times)
        moved["end_time"] = times + pd.Timedelta(hours=16)
        frames[symbol] = moved
    return frames


class TableLoader:
    """Stands in for the backend's bar table: a BarLoader over stored, closed bars."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self.calls: list[tuple[BarRequest, dt.datetime | None]] = []

    def __call__(self, request: BarRequest, *, now: dt.datetime | None) -> dict[str, pd.DataFrame]:
        self.calls.append((request, now))
        first = pd.Timestamp(now or MONDAY).tz_convert("America/New_York").tz_localize(None)
        first -= pd.Timedelta(days=request.history_days)
        return {
            symbol: self.frames[symbol].loc[lambda f: f.index >= first].copy()
            if symbol in self.frames
            else self.frames["AAA"].iloc[:0].copy()
            for symbol in request.symbols
        }


def _request(**changes: Any) -> BarRequest:
    values: dict[str, Any] = {
        "source": "database",
        "data_folder": None,
        "security_type": "equity",
        "market": "usa",
        "resolution": "daily",
        "symbols": ("AAA", "BBB"),
        "history_days": 1000,
    }
    values.update(changes)
    return BarRequest(**values)


def _config(tmp_path: Path, **changes: Any) -> ForecastEngineConfig:
    return ForecastEngineConfig(
        bars=_request(**changes),
        registry_folder=tmp_path / "models",
        model="statsmodels",
        gated=False,
        freshness=FreshnessRule.for_source("database"),
    )


class RecordingLogger:
    """Records the freshness rule's structured log events (whatever structlog's configuration)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def warning(self, event: str, **values: Any) -> None:
        self.events.append({"event": event, "log_level": "warning", **values})


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> RecordingLogger:
    from engines.forecast import freshness

    recorder = RecordingLogger()
    monkeypatch.setattr(freshness, "logger", recorder)
    return recorder


class Clock:
    """The risk engine's clock, moved by the test."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(prefix="test-fresh-forecasts") as name:
        yield name


@pytest.mark.redis
def test_stale_asset_gets_no_forecast_and_the_risk_engine_reduces(
    namespace: str, tmp_path: Path, logs: RecordingLogger
) -> None:
    loader = TableLoader(_table())
    clock = Clock(MONDAY)
    # A daily US equity deployment allows a weekend and a day without a new forecast.
    parameters = StrategyParameters().replace(
        state_min_dwell_seconds=0.0, stale_forecast_seconds=4 * 86_400.0
    )
    with (
        RedisBus(url=SHARED_REDIS_URL, namespace=namespace) as forecast_bus,
        RedisBus(url=SHARED_REDIS_URL, namespace=namespace) as risk_bus,
    ):
        risk = RiskEngine(
            risk_bus,
            RiskEngineConfig(block_ms=0, handler_retry_delay_s=0.0),
            clock=clock,
            parameters=parameters,
        )
        engine = ForecastEngine(_config(tmp_path), forecast_bus, bar_loader=loader)

        # Monday 10:00 New York: AAA has Friday's session, BBB stopped the week before.
        first = engine.run_cycle(MONDAY)
        assert [update.asset for update in first.forecasts] == ["AAA"]
        assert [(item.asset, item.reason) for item in first.stale] == [("BBB", "stale")]
        assert first.missing == ()
        assert loader.calls[-1] == (_request(), MONDAY)
        (event,) = [log for log in logs.events if log["event"] == "forecast_asset_stale"]
        assert event["log_level"] == "warning"
        assert event["asset"] == "BBB"
        assert event["last_bar_end"] == "2026-01-02T21:00:00+00:00"  # Friday 16:00 New York
        assert event["next_bar_end"] == "2026-01-05T21:00:00+00:00"  # Monday's close
        assert event["limit"] == "2026-01-05T21:30:00+00:00"  # plus the 30-minute tolerance
        assert event["now"] == MONDAY.isoformat()
        assert event["tolerance_seconds"] == 1800.0
        published = forecast_bus.last_values(FORECAST_UPDATES)
        assert sorted(published) == ["AAA:1d"]
        made = published["AAA:1d"]
        assert isinstance(made, ForecastUpdate)
        assert made.ts_event == dt.datetime(2026, 1, 9, 21, 0, tzinfo=dt.UTC)

        forecast_bus.publish(PortfolioSnapshot.create(equity=1e5, cash=1e5, now=MONDAY))
        risk.run_once()
        decision = risk.last_decision
        assert decision is not None
        assert decision.state.value == "active", decision.reasons
        assert STALE_FORECASTS not in decision.reasons

        # Ingestion stops: by Friday every asset is stale, nothing is published.
        clock.now = FRIDAY
        logs.events.clear()
        later = engine.run_cycle(FRIDAY)
        assert later.forecasts == ()
        assert sorted(item.asset for item in later.stale) == ["AAA", "BBB"]
        assert sorted(
            log["asset"] for log in logs.events if log["event"] == "forecast_asset_stale"
        ) == [
            "AAA",
            "BBB",
        ]
        entries = forecast_bus.read_stream(FORECAST_UPDATES, after="0", count=100, block_ms=None)
        assert len(entries) == 1, "only Monday's AAA forecast was ever published"

        # The risk engine sees no new forecast and its staleness rule moves it to reducing.
        forecast_bus.publish(PortfolioSnapshot.create(equity=1e5, cash=1e5, now=FRIDAY))
        risk.run_once()
        decision = risk.last_decision
        assert decision is not None
        assert decision.state.value == "reducing"
        assert STALE_FORECASTS in decision.reasons
        assert decision.inputs["forecast_age_seconds"] == (FRIDAY - made.ts_event).total_seconds()
        update = risk_bus.last(RISK_UPDATES)
        assert isinstance(update, RiskUpdate)
        assert (update.state, STALE_FORECASTS in update.reasons) == ("reducing", True)


def test_database_source_needs_the_injected_loader(tmp_path: Path) -> None:
    with pytest.raises(BarSourceError, match="bar loader"):
        load_bars(_request(), now=MONDAY)
    with pytest.raises(BarSourceError, match="bar loader"):
        ForecastEngine(_config(tmp_path), None).run_cycle(MONDAY)
    with pytest.raises(BarSourceError, match="--symbols is required with the database source"):
        _request(symbols=())


def test_asset_without_bars_is_skipped_and_the_others_forecast(tmp_path: Path) -> None:
    loader = TableLoader(_table(bbb_until=FRESH_UNTIL))
    symbols = ("AAA", "BBB", "NEW")
    engine = ForecastEngine(_config(tmp_path, symbols=symbols), None, bar_loader=loader)
    result = engine.run_cycle(MONDAY)
    assert sorted(update.asset for update in result.forecasts) == ["AAA", "BBB"]
    assert [(item.asset, item.reason) for item in result.stale] == [("NEW", "no_bars")]
    assert result.missing == ()
    # without the rule (a replay) an empty series still fails the load, as for every source
    replay = ForecastEngine(
        ForecastEngineConfig(bars=_request(symbols=symbols), registry_folder=tmp_path / "models"),
        None,
        bar_loader=loader,
    )
    with pytest.raises(BarSourceError, match="no bars for NEW"):
        replay.run_cycle(MONDAY)


def test_without_the_rule_every_asset_is_forecast(tmp_path: Path) -> None:
    """Replays of history (and sources the rule is off for) forecast stale bars as before."""
    loader = TableLoader(_table())
    config = ForecastEngineConfig(
        bars=_request(), registry_folder=tmp_path / "models", model="statsmodels", gated=False
    )
    result = ForecastEngine(config, None, bar_loader=loader).run_cycle(FRIDAY)
    assert sorted(update.asset for update in result.forecasts) == ["AAA", "BBB"]
    assert result.stale == ()


def _lean_folder(folder: Path) -> None:
    for symbol, frame in _table().items():
        bars = frame.drop(columns=["end_time"])
        bars[["open", "high", "low", "close"]] = bars[["open", "high", "low", "close"]].round(2)
        write_bars(
            folder, bars, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )


def test_run_command_freshness_options(tmp_path: Path) -> None:
    _lean_folder(tmp_path / "data")
    arguments = [
        "forecast",
        "run",
        "--once",
        "--dry-run",
        "--data-folder",
        str(tmp_path / "data"),
        "--symbols",
        "AAA,BBB",
        "--model",
        "statsmodels",
        "--registry",
        str(tmp_path / "models"),
    ]
    runner = CliRunner()
    # a LEAN folder may be a snapshot: auto leaves the rule off (the run's now is today)
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert "2 forecasts computed (dry run)" in result.output
    strict = runner.invoke(
        cli, [*arguments, "--freshness", "on", "--stale-tolerance-seconds", "600"]
    )
    assert strict.exit_code == 0, strict.output
    assert "warning: no forecast for AAA: latest bar ended 2026-01-09T21:00:00+00:00" in (
        strict.output
    )
    assert "warning: no forecast for BBB: latest bar ended 2026-01-02T21:00:00+00:00" in (
        strict.output
    )
    assert "0 forecasts computed (dry run)" in strict.output
    environment = runner.invoke(cli, arguments, env={"ATS_FORECAST_FRESHNESS": "on"})
    assert "0 forecasts computed (dry run)" in environment.output
    refused = runner.invoke(cli, [*arguments, "--stale-tolerance-seconds", "-1"])
    assert refused.exit_code != 0


@pytest.mark.django_db
def test_backend_injects_its_bar_loader(settings: Any) -> None:
    from backend.engines import services

    settings.FORECAST_ENGINE_CYCLE = f"{__name__}:loader_engine"
    settings.FORECAST_ENGINE_RETRAIN = f"{__name__}:plain_engine"
    INJECTED.clear()
    services.forecast_cycle_run(horizon="1d", now=MONDAY)
    services.forecast_retrain_run(horizon="1d", now=MONDAY)
    assert [services.forecast_bars_load] == INJECTED
    assert services.forecast_bar_loader() is services.forecast_bars_load


INJECTED: list[Any] = []


def loader_engine(*, horizon: str, now: dt.datetime, bar_loader: Any = None) -> dict[str, str]:
    """An engine entry point that takes a bar loader."""
    INJECTED.append(bar_loader)
    return {"horizon": horizon}


def plain_engine(*, horizon: str, now: dt.datetime) -> dict[str, str]:
    """An engine entry point without one (it gets none)."""
    return {"horizon": horizon}


def _store_table(frames: dict[str, pd.DataFrame]) -> None:
    from backend.market.bar_store import DatabaseBarStore
    from market_data.lean import SeriesKey

    store = DatabaseBarStore(source="polygon")
    for symbol, frame in frames.items():
        store.write(SeriesKey("equity", "usa", symbol, "daily"), frame)


@pytest.mark.redis
@pytest.mark.django_db
def test_celery_cycle_reads_the_bar_table(
    namespace: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend's cycle service, the engine's database source and the bar table, end to end."""
    from backend.engines.services import forecast_cycle_run

    _store_table(_table())
    for name, value in {
        "ATS_FORECAST_SOURCE": "database",
        "ATS_FORECAST_SECURITY_TYPE": "equity",
        "ATS_FORECAST_MARKET": "usa",
        "ATS_FORECAST_RESOLUTION": "daily",
        "ATS_FORECAST_SYMBOLS": "AAA,BBB",
        "ATS_FORECAST_HISTORY_DAYS": "1000",
        "ATS_FORECAST_MODEL": "statsmodels",
        "ATS_FORECAST_GATED": "false",
        "ATS_MODEL_REGISTRY": str(tmp_path / "models"),
        "REDIS_URL": SHARED_REDIS_URL,
        "SIGNAL_BUS_NAMESPACE": namespace,
    }.items():
        monkeypatch.setenv(name, value)
    result = forecast_cycle_run(horizon="1d", now=MONDAY)
    assert result["published"] == 1
    assert result["missing"] == []
    assert [(item["asset"], item["reason"]) for item in result["stale"]] == [("BBB", "stale")]
    with RedisBus(url=SHARED_REDIS_URL, namespace=namespace) as bus:
        published = bus.last_values(FORECAST_UPDATES)
    assert sorted(published) == ["AAA:1d"]
    assert published["AAA:1d"].ts_event == dt.datetime(2026, 1, 9, 21, 0, tzinfo=dt.UTC)

    # The command line reads the same table (Django set up as the other backend commands do);
    # its clock is the real one, later than these bars: both assets are stale now.
    run = CliRunner().invoke(
        cli,
        [
            "forecast",
            "run",
            "--once",
            "--dry-run",
            "--source",
            "database",
            "--symbols",
            "AAA,BBB",
            "--history-days",
            "1000",
            "--model",
            "statsmodels",
            "--registry",
            str(tmp_path / "models"),
        ],
    )
    assert run.exit_code == 0, run.output
    assert "warning: no forecast for AAA: latest bar ended 2026-01-09T21:00:00+00:00" in run.output
    assert "warning: no forecast for BBB: latest bar ended 2026-01-02T21:00:00+00:00" in run.output
    assert "0 forecasts computed (dry run)" in run.output
