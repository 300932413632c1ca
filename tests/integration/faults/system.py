"""The whole system on one private Redis: forecast and risk engines, LEAN side, execution sink.

Used by the fault tests; the recorder runs as a subprocess started by each test.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import InboxForecastSource
from backend.execution.models import Fill
from backend.execution.models import PortfolioSnapshot as SnapshotRow
from backend.forecasts.models import Forecast
from backend.risk.models import RiskDecision
from engines.forecast.engine import ForecastEngine, ForecastEngineConfig
from engines.forecast.sources import BarRequest
from engines.risk.engine import RiskEngine, RiskEngineConfig
from engines.risk.state_store import RedisStateStore, state_key
from risk_models.lean.adaptive_risk_management import AdaptiveRiskManagementModel
from risk_models.lean.forecast_sizing_portfolio_construction import (
    ForecastSizingPortfolioConstructionModel,
)
from risk_models.parameters import StrategyParameters
from risk_models.settings import StrategySettings
from signal_bus.errors import TransportConnectionError
from signal_bus.lean.execution_sinks import RedisExecutionSink
from signal_bus.lean.redis_listener import start_redis_signal_feed
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.messages import ForecastUpdate, OrderEvent, PortfolioSnapshot
from signal_bus.redis_bus import RedisBus
from tests.integration.faults.conftest import wait_until
from tests.lean.framework_loop import FrameworkLoop
from tests.lean.lean_model.algorithm_imports import QCAlgorithm
from tests.support.redis_server import RedisServer

STEP_SECONDS = 0.1
STALE_SECONDS = 5.0  # the smallest the schema allows
PRICE = 50_000.0
ASSETS = ("BTCUSD", "ETHUSD")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Run:
    """Every component of the run and what each sent."""

    def __init__(self, server: RedisServer, namespace: str, tmp_path: Path) -> None:
        self.forecast_engine = ForecastEngine(
            ForecastEngineConfig(
                bars=BarRequest(
                    source="lean", data_folder=tmp_path / "data", security_type="crypto",
                    market="coinbase", resolution="hour", symbols=ASSETS,
                ),
                registry_folder=tmp_path / "models",
                horizons=("1h",),
                model="statsmodels",
            ),
            RedisBus(url=server.url, namespace=namespace),
        )  # fmt: skip
        self.risk_bus = RedisBus(url=server.url, namespace=namespace)
        self.risk_engine = RiskEngine(
            self.risk_bus,
            RiskEngineConfig(consumer="risk-outage", tick_seconds=0.2, heartbeat_seconds=1.0, block_ms=100),
            clock=utc_now,
            state_store=RedisStateStore(self.risk_bus.client, state_key(namespace)),
            # No minimum stay in a state, so the run's decisions follow its inputs at once.
            parameters=StrategyParameters(state_min_dwell_seconds=0.0),
        )  # fmt: skip
        self.stop_risk = threading.Event()
        self.risk_thread = threading.Thread(
            target=self.risk_engine.run_forever, args=(self.stop_risk,), daemon=True
        )
        self.sink = RedisExecutionSink(server.url, namespace)
        self.inbox = SignalInbox()
        self.feed = start_redis_signal_feed(self.inbox, server.url, namespace)
        settings = StrategySettings(
            StrategyParameters(stale_risk_update_seconds=STALE_SECONDS, state_min_dwell_seconds=0.0)
        )
        self.algorithm = QCAlgorithm()
        self.algorithm.set_cash(100_000)
        for asset in ASSETS:
            self.algorithm.add_crypto(asset)
        self.risk_model = AdaptiveRiskManagementModel(settings, self.inbox)
        self.loop = FrameworkLoop(
            self.algorithm,
            ForecastAlphaModel(InboxForecastSource(self.inbox), settings),
            ForecastSizingPortfolioConstructionModel(settings, self.inbox),
            self.risk_model,
        )
        self.forecast_ids: set[str] = set()
        self.snapshot_ids: set[str] = set()
        self.fill_ids: set[str] = set()
        self.steps = 0

    def step(self) -> dict[str, float]:
        """Publish two forecasts and two execution records, run one LEAN framework step."""
        now = utc_now()
        self.steps += 1
        forecasts = [
            ForecastUpdate.create(
                asset=asset, horizon="1h", prediction=0.01, confidence=0.8, now=now,
                model="statsmodels", model_version="outage",
            )
            for asset in ASSETS
        ]  # fmt: skip
        self.forecast_ids.update(forecast.id for forecast in forecasts)
        # While Redis is down they wait in the engine's outbox; the next publish sends them first.
        with contextlib.suppress(TransportConnectionError):
            self.forecast_engine.publish(forecasts)
        snapshot = PortfolioSnapshot.create(
            equity=100_000.0 + self.steps, cash=50_000.0, holdings={"BTCUSD": 0.1}, now=now
        )
        fill = OrderEvent.create(
            order_id=self.steps, symbol="BTCUSD", status="filled", direction="buy", quantity=0.001,
            now=now, fill_price=PRICE, fill_quantity=0.001, tag="outage",
        )  # fmt: skip
        self.snapshot_ids.add(snapshot.id)
        self.fill_ids.add(fill.id)
        self.sink.send(snapshot)
        self.sink.send(fill)
        result = self.loop.step(now.replace(tzinfo=None), dict.fromkeys(ASSETS, PRICE))
        return dict(result.final)

    def run_for(self, seconds: float, until: Callable[[], bool] | None = None) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.step()
            if until is not None and until():
                return
            time.sleep(STEP_SECONDS)

    def publish_burst(self, count: int) -> None:
        """Publish ``count`` forecasts per asset at once through the forecast engine's outbox."""
        now = utc_now()
        forecasts = [
            ForecastUpdate.create(
                asset=asset, horizon="1h", prediction=0.001 * (index % 7 - 3), confidence=0.6,
                now=now, ts_event=now, model="statsmodels", model_version="burst",
            )
            for index in range(count)
            for asset in ASSETS
        ]  # fmt: skip
        self.forecast_ids.update(forecast.id for forecast in forecasts)
        self.forecast_engine.publish(forecasts)

    def close(self) -> None:
        self.stop_risk.set()
        self.risk_thread.join(10)
        self.feed.stop()
        self.sink.close(1.0)
        self.risk_bus.close()
        if self.forecast_engine.bus is not None:
            self.forecast_engine.bus.close()


def drain(run: Run, timeout: float = 30.0) -> tuple[int, int, int, int]:
    """Flush every publisher, let the risk engine consume every input, stop it.

    Returns
    -------
    tuple of int
        What the database must hold: forecasts, risk decisions, portfolio snapshots, fills.
    """
    assert run.forecast_engine.outbox is not None
    assert run.forecast_engine.outbox.flush_until_empty(timeout)
    run.sink.close(timeout)
    assert (run.sink.sent, run.sink.dropped, run.sink.abandoned) == (2 * run.steps, 0, 0)

    def consumed() -> dict[str, int]:
        return {c.config.channel: c.stats.processed for c in run.risk_engine.consumers}

    assert wait_until(
        lambda: (
            consumed()["forecast_updates"] >= len(run.forecast_ids)
            and consumed()["execution_events"] >= 2 * run.steps
        ),
        timeout,
    ), consumed()
    run.stop_risk.set()
    run.risk_thread.join(10)
    assert run.risk_engine.outbox.flush_until_empty(timeout)
    stats = run.risk_engine.outbox.stats
    assert stats.sent == stats.accepted
    return len(run.forecast_ids), stats.accepted, run.steps, run.steps


def stored_counts(run: Run) -> tuple[int, int, int, int]:
    """Rows stored for the run's messages: forecasts, risk decisions, snapshots, fills."""
    return (
        Forecast.objects.filter(message_id__in=run.forecast_ids).count(),
        RiskDecision.objects.values("message_id").distinct().count(),
        SnapshotRow.objects.filter(message_id__in=run.snapshot_ids).count(),
        Fill.objects.filter(message_id__in=run.fill_ids).count(),
    )
