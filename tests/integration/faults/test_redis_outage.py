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

from backend.execution.models import Fill
from backend.execution.models import PortfolioSnapshot as SnapshotRow
from backend.forecasts.models import Forecast
from backend.risk.models import RiskDecision
from tests.integration.faults.conftest import wait_until
from tests.integration.faults.system import ASSETS, PRICE, Run, utc_now
from tests.support.redis_server import RedisServer

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]

OUTAGE_SECONDS = 10.0


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
        equity = run.algorithm.portfolio.total_portfolio_value
        assert run.risk_model.last_risk is not None
        for asset in ASSETS:
            assert abs(targets[asset]) <= 0.25 * equity / PRICE * conservative + 1e-9
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
        recovered = run.risk_model.last_risk
        assert recovered is not None
        assert not recovered.remote_stale
        assert "stale_risk_updates" not in recovered.reasons
    finally:
        sent_forecasts = len(run.forecast_ids)
        assert run.forecast_engine.outbox is not None
        flushed = run.forecast_engine.outbox.flush_until_empty(30.0)
        run.sink.close(30.0)
    assert flushed
    assert (run.sink.sent, run.sink.dropped, run.sink.abandoned) == (2 * run.steps, 0, 0)

    # The risk engine consumed every input exactly as often as it was sent, then stops.
    def consumed() -> dict[str, int]:
        return {c.config.channel: c.stats.processed for c in run.risk_engine.consumers}

    assert wait_until(
        lambda: (
            consumed()["forecast_updates"] >= sent_forecasts
            and consumed()["execution_events"] >= 2 * run.steps
        ),
        30.0,
    ), consumed()
    run.stop_risk.set()
    run.risk_thread.join(10)
    assert run.risk_engine.outbox.flush_until_empty(30.0)
    risk_stats = run.risk_engine.outbox.stats
    assert risk_stats.buffered > 0
    assert risk_stats.sent == risk_stats.accepted

    def stored() -> tuple[int, int, int, int]:
        return (
            Forecast.objects.filter(message_id__in=run.forecast_ids).count(),
            RiskDecision.objects.count(),
            SnapshotRow.objects.filter(message_id__in=run.snapshot_ids).count(),
            Fill.objects.filter(message_id__in=run.fill_ids).count(),
        )

    expected = (sent_forecasts, risk_stats.accepted, run.steps, run.steps)
    all_stored = wait_until(lambda: stored() == expected, 60.0, interval=0.2)
    recovery_seconds = time.monotonic() - restarted
    run.close()
    assert all_stored, (stored(), expected)
    assert Forecast.objects.count() == sent_forecasts
    assert RiskDecision.objects.values("message_id").distinct().count() == risk_stats.accepted
    print(
        f"\nredis outage: {OUTAGE_SECONDS:.0f}s; forecasts {sent_forecasts}, risk decisions "
        f"{risk_stats.accepted} ({risk_stats.buffered} buffered), execution records {2 * run.steps}; "
        f"lost 0; LEAN fresh risk {lean_recovery_seconds:.1f}s after restart; "
        f"everything stored {recovery_seconds:.1f}s after restart"
    )
