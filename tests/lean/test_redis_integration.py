"""The LEAN adapters fed by real Redis (unique namespace per test, keys removed afterwards)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from alpha_models.lean.forecast_alpha import ForecastAlphaModel
from alpha_models.lean.forecast_sources import InboxForecastSource
from risk_models.lean.adaptive_risk_management import AdaptiveRiskManagementModel
from risk_models.lean.forecast_sizing_portfolio_construction import (
    ForecastSizingPortfolioConstructionModel,
)
from risk_models.settings import StrategySettings
from signal_bus.channels import EXECUTION_EVENTS
from signal_bus.lean.execution_sinks import RedisExecutionSink
from signal_bus.lean.redis_listener import start_redis_signal_feed
from signal_bus.lean.signal_inbox import SignalInbox
from signal_bus.messages import (
    ForecastUpdate,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)
from signal_bus.redis_bus import RedisBus
from signal_bus.subscriber import LatestValueSubscriber
from tests.lean.framework_loop import FrameworkLoop
from tests.lean.lean_model.algorithm_imports import QCAlgorithm, Slice, Symbol
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace
from tests.support.redis_server import RedisServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.redis

START = datetime(2024, 3, 1, 12, 0)
START_UTC = START.replace(tzinfo=UTC)
BTC = Symbol("BTCUSD")
# PortfolioTarget.Percent sizes on the value less the free buffer (AlgorithmSettings
# FreePortfolioValuePercentage = 0.25 %).
INVESTABLE = 1 - 0.0025

# Threads and Redis deliver in their own time: poll, up to 5.0 s unless a call says otherwise.
_wait = functools.partial(wait_until, timeout=5.0)


class LiveAlgorithm:
    """The three models wired to a Redis-fed inbox, as main.py does for ``redis``."""

    def __init__(self, url: str, namespace: str) -> None:
        self.inbox = SignalInbox()
        self.feed = start_redis_signal_feed(self.inbox, url, namespace)
        self.algorithm = QCAlgorithm()
        self.algorithm.set_cash(100_000)
        self.algorithm.add_crypto("BTCUSD")
        self.algorithm._set_time(START)
        self.algorithm._set_price(BTC, 50_000.0)
        self.settings = StrategySettings()
        self.alpha = ForecastAlphaModel(InboxForecastSource(self.inbox), self.settings)
        self.construction = ForecastSizingPortfolioConstructionModel(self.settings, self.inbox)
        self.risk = AdaptiveRiskManagementModel(self.settings, self.inbox)
        self.loop = FrameworkLoop(self.algorithm, self.alpha, self.construction, self.risk)

    def close(self) -> None:
        self.feed.stop()


@pytest.fixture
def namespace() -> Iterator[str]:
    with redis_namespace(SHARED_REDIS_URL, prefix="lean") as name:
        yield name


@pytest.fixture
def live(namespace: str) -> Iterator[tuple[LiveAlgorithm, RedisBus]]:
    algorithm = LiveAlgorithm(SHARED_REDIS_URL, namespace)
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    assert algorithm.feed.wait_until_connected(5.0)
    try:
        yield algorithm, bus
    finally:
        algorithm.close()
        bus.close()


def _forecast(confidence: float = 0.8, prediction: float = 0.01) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset="BTCUSD",
        horizon="4h",
        prediction=prediction,
        confidence=confidence,
        model="lightgbm",
        model_version="v3",
        now=START_UTC,
    )


def _risk(factor: float, state: str = "active", at: datetime = START_UTC) -> RiskUpdate:
    return RiskUpdate.create(risk_factor=factor, state=state, reasons=["high_volatility"], now=at)


def test_published_forecast_becomes_an_insight_on_the_next_update(
    live: tuple[LiveAlgorithm, RedisBus],
) -> None:
    algo, bus = live
    assert algo.alpha.update(algo.algorithm, Slice(START, [], START)) == []
    forecast = _forecast()
    bus.publish(forecast)
    assert _wait(lambda: algo.inbox.forecasts())
    insights = algo.alpha.update(algo.algorithm, Slice(START, [], START))
    assert [(i.symbol, int(i.direction), i.tag) for i in insights] == [(BTC, 1, forecast.id)]
    # The framework sets the close time when the insight is emitted (QCAlgorithm.Framework.cs
    # InitializeInsightFields): the forecast's horizon end, exactly, in a 24/7 market.
    emitted = algo.algorithm._initialize_insight(insights[0])
    assert emitted.close_time_utc == START + timedelta(hours=4)
    assert emitted.period == timedelta(hours=4)
    assert algo.alpha.update(algo.algorithm, Slice(START, [], START)) == [], "emitted once"


def test_risk_update_scales_targets(live: tuple[LiveAlgorithm, RedisBus]) -> None:
    algo, bus = live
    bus.publish(_risk(1.0))
    bus.publish(_forecast())
    assert _wait(lambda: algo.inbox.forecasts() and algo.inbox.risk())
    full = algo.loop.step(START, {"BTCUSD": 50_000.0}).final["BTCUSD"]
    expected_full = 0.25 * 100_000 / 50_000
    assert full == pytest.approx(expected_full * INVESTABLE, rel=1e-4)

    later = START_UTC + timedelta(minutes=1)
    bus.publish(_risk(0.4, at=later))
    assert _wait(lambda: algo.inbox.risk() is not None and algo.inbox.risk().risk_factor == 0.4)
    scaled = algo.loop.step(START + timedelta(minutes=1), {"BTCUSD": 50_000.0}).final["BTCUSD"]
    equity = algo.algorithm.portfolio.total_portfolio_value
    assert scaled == pytest.approx(0.25 * equity / 50_000 * 0.4 * INVESTABLE, rel=1e-4)

    # Stale updates never raise the factor: min(0.4, conservative 0.5) stays 0.4.
    stale_time = START + timedelta(seconds=algo.settings.current.stale_risk_update_seconds + 120)
    result = algo.loop.step(stale_time, {"BTCUSD": 50_000.0})
    assert algo.risk.last_risk is not None
    assert algo.risk.last_risk.remote_stale
    assert "stale_risk_updates" in algo.risk.last_risk.reasons
    assert algo.risk.last_risk.factor == pytest.approx(0.4)
    equity = algo.algorithm.portfolio.total_portfolio_value
    assert result.final["BTCUSD"] == pytest.approx(
        0.25 * equity / 50_000 * 0.4 * INVESTABLE, rel=1e-4
    )


def test_stale_risk_factor_caps_at_conservative(live: tuple[LiveAlgorithm, RedisBus]) -> None:
    algo, bus = live
    bus.publish(_risk(1.0))
    bus.publish(_forecast())
    assert _wait(lambda: algo.inbox.forecasts() and algo.inbox.risk())
    stale_time = START + timedelta(seconds=algo.settings.current.stale_risk_update_seconds + 1)
    result = algo.loop.step(stale_time, {"BTCUSD": 50_000.0})
    assert algo.risk.last_risk is not None
    assert algo.risk.last_risk.factor == algo.settings.current.conservative_risk_factor
    assert result.final["BTCUSD"] == pytest.approx(
        0.25 * 100_000 / 50_000 * 0.5 * INVESTABLE, rel=1e-4
    )


def test_halted_risk_update_flattens_and_cancels_insights(
    live: tuple[LiveAlgorithm, RedisBus],
) -> None:
    algo, bus = live
    bus.publish(_risk(1.0))
    bus.publish(_forecast())
    assert _wait(lambda: algo.inbox.forecasts() and algo.inbox.risk())
    assert algo.loop.step(START, {"BTCUSD": 50_000.0}).final["BTCUSD"] > 0
    bus.publish(_risk(0.0, state="halted", at=START_UTC + timedelta(minutes=1)))
    assert _wait(lambda: algo.inbox.risk().state == "halted")
    result = algo.loop.step(START + timedelta(minutes=1), {"BTCUSD": 50_000.0})
    assert result.final == {"BTCUSD": 0.0}
    assert algo.algorithm.portfolio[BTC].quantity == 0.0
    # InsightManager.Cancel: the halted symbol has no active insight left.
    active = algo.algorithm.insights.get_active_insights(algo.algorithm.utc_time)
    assert [insight for insight in active if insight.symbol == BTC] == []


def test_config_change_sets_new_threshold(live: tuple[LiveAlgorithm, RedisBus]) -> None:
    algo, bus = live
    bus.publish(_risk(1.0))
    bus.publish(_forecast(confidence=0.7))
    assert _wait(lambda: algo.inbox.forecasts() and algo.inbox.risk())
    assert algo.loop.step(START, {"BTCUSD": 50_000.0}).final["BTCUSD"] > 0
    bus.publish(
        StrategyConfigUpdate.create(
            key="entry_confidence",
            value=0.75,
            version=1,
            changed_by="operator",
            now=START_UTC,
            reason="tighten",
        )
    )
    assert _wait(lambda: algo.inbox.version >= 3)
    result = algo.loop.step(START + timedelta(minutes=1), {"BTCUSD": 50_000.0})
    assert algo.settings.current.entry_confidence == 0.75
    assert result.final["BTCUSD"] == 0.0
    assert any(
        "strategy_config_applied key=entry_confidence" in line for line in algo.algorithm._logs
    )


def test_execution_records_reach_the_bus(namespace: str) -> None:
    sink = RedisExecutionSink(SHARED_REDIS_URL, namespace)
    snapshot = PortfolioSnapshot.create(
        equity=1000.0, cash=500.0, holdings={"BTCUSD": 0.01}, now=START_UTC
    )
    sink.send(snapshot)
    sink.close()
    bus = RedisBus(url=SHARED_REDIS_URL, namespace=namespace)
    try:
        stored = bus.last(EXECUTION_EVENTS, "portfolio")
    finally:
        bus.close()
    assert stored is not None
    assert stored.id == snapshot.id
    assert sink.sent == 1


def test_subscriber_recovers_after_redis_restart() -> None:
    with RedisServer() as server:
        inbox = SignalInbox()
        feed: LatestValueSubscriber = start_redis_signal_feed(inbox, server.url, "restart")
        bus = RedisBus(url=server.url, namespace="restart")
        try:
            assert feed.wait_until_connected(5.0)
            bus.publish(_forecast())
            assert _wait(lambda: len(inbox.forecasts()) == 1)
            server.stop()
            assert _wait(lambda: not feed.health().connected, timeout=10.0)
            server.start()
            assert _wait(lambda: feed.health().connected, timeout=15.0)
            later = ForecastUpdate.create(
                asset="ETHUSD",
                horizon="1h",
                prediction=-0.02,
                confidence=0.9,
                now=START_UTC + timedelta(minutes=5),
            )
            bus.close()
            bus = RedisBus(url=server.url, namespace="restart")
            bus.publish(later)
            assert _wait(lambda: any(f.id == later.id for f in inbox.forecasts()), timeout=5.0)
            assert feed.health().reconnects >= 1
        finally:
            feed.stop()
            bus.close()
