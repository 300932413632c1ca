"""Redis stops for 10 s in the middle of a run: nothing published or attempted is lost.

The forecast engine (its publishing path), the risk engine (its engine loop in a thread),
the LEAN side (execution records through ``RedisExecutionSink``, risk and forecasts
through the Redis signal feed into the framework fake) and the recorder (a
``record_streams`` subprocess on the test database) all run against a private
redis-server that is stopped and restarted with its append-only file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from backend.forecasts.models import Forecast
from backend.risk.models import RiskDecision
from tests.integration.faults.conftest import wait_until
from tests.integration.faults.system import ASSETS, PRICE, Run, drain, stored_counts, utc_now
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]

OUTAGE_SECONDS = 10.0


def full_size(run: Run, factor: float) -> dict[str, float]:
    """The brief's sizing: a quarter of equity per confident forecast, times the risk factor."""
    equity = run.algorithm.portfolio.total_portfolio_value
    # PortfolioTarget.Percent sizes on the value less the 0.25 % free buffer
    # (AlgorithmSettings.FreePortfolioValuePercentage).
    return dict.fromkeys(ASSETS, 0.25 * equity * (1 - 0.0025) / PRICE * factor)


def test_redis_outage_loses_nothing(
    redis_server: RedisServer, namespace: str, tmp_path: Path, start_recorder: Callable[..., object]
) -> None:
    start_recorder("recorder-outage")
    run = Run(redis_server, namespace, tmp_path)
    try:
        run.risk_thread.start()
        assert run.feed.wait_until_connected(5.0)
        run.run_for(3.0)
        assert wait_until(lambda: run.inbox.risk() is not None, 10.0)
        before = run.risk_model.last_risk
        assert before is not None
        assert not before.remote_stale

        # ---- outage
        redis_server.stop()
        stopped_at = time.monotonic()
        run.run_for(OUTAGE_SECONDS - 0.5)
        last_remote = run.inbox.risk()
        assert last_remote is not None
        stale = run.risk_model.last_risk
        assert stale is not None
        assert stale.remote_stale
        assert "stale_risk_updates" in stale.reasons
        conservative = min(last_remote.risk_factor, 0.5)
        assert stale.factor <= conservative + 1e-12
        targets = run.step()
        applied = run.risk_model.last_risk
        assert applied is not None
        assert applied.remote_stale
        assert applied.factor == pytest.approx(conservative)
        assert targets == pytest.approx(full_size(run, conservative))
        assert run.forecast_engine.outbox is not None
        assert run.forecast_engine.outbox.pending > 0
        assert run.risk_engine.outbox.pending > 0
        while time.monotonic() - stopped_at < OUTAGE_SECONDS:
            time.sleep(0.05)

        # ---- recovery
        redis_server.start()
        restarted_at = utc_now()
        restarted = time.monotonic()

        def fresh_risk() -> bool:
            risk = run.inbox.risk()
            return risk is not None and risk.ts_init > restarted_at

        run.run_for(30.0, until=fresh_risk)
        assert fresh_risk()
        lean_recovery_seconds = time.monotonic() - restarted
        run.run_for(1.0)
        targets = run.step()
        recovered = run.risk_model.last_risk
        assert recovered is not None
        assert not recovered.remote_stale
        assert "stale_risk_updates" not in recovered.reasons
        remote = run.inbox.risk()
        assert remote is not None
        assert recovered.factor == pytest.approx(remote.risk_factor)
        assert targets == pytest.approx(full_size(run, remote.risk_factor))
        assert targets != pytest.approx(full_size(run, conservative))
        # Every publisher empties its outbox, the risk engine consumes every input, then stops.
        expected = drain(run)
        risk_stats = run.risk_engine.outbox.stats
        assert risk_stats.buffered > 0
        all_stored = wait_until(lambda: stored_counts(run) == expected, 60.0, interval=0.2)
        recovery_seconds = time.monotonic() - restarted
        assert all_stored, (stored_counts(run), expected)
        assert Forecast.objects.count() == expected[0]
        assert RiskDecision.objects.count() == expected[1]
    finally:
        run.close()
    sent_forecasts = expected[0]
    print(
        f"\nredis outage: {OUTAGE_SECONDS:.0f}s; forecasts {sent_forecasts}, risk decisions "
        f"{risk_stats.accepted} ({risk_stats.buffered} buffered), execution records {2 * run.steps}; "
        f"lost 0; LEAN fresh risk {lean_recovery_seconds:.1f}s after restart; "
        f"everything stored {recovery_seconds:.1f}s after restart"
    )
