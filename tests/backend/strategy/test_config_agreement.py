"""The API, LEAN's models and the risk engine accept and refuse the same configurations.

Each generated change goes to the API's service (real PostgreSQL). What it stores is
replayed, in the order it publishes, through LEAN's ``StrategySettings`` and through the
risk engine on a bus; both must end with exactly the stored values. What it refuses must
be refused by LEAN's settings too, whatever the order of the keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.common.exceptions import InvalidInput
from backend.strategy.services import strategy_config_update
from engines.risk.engine import RiskEngine, RiskEngineConfig
from engines.risk.state_store import MemoryStateStore
from risk_models.parameters import PARAMETER_SPECS, StrategyParameters
from risk_models.settings import StrategySettings
from signal_bus.memory_bus import InMemoryBus
from signal_bus.messages import StrategyConfigUpdate

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 1, 5, tzinfo=UTC)
# Keys bound by cross-field rules, plus one free key.
KEYS = (
    "drawdown_threshold",
    "drawdown_halt_limit",
    "volatility_ratio_threshold",
    "volatility_spike_ratio",
    "volatility_clear_ratio",
    "skill_min_observations",
    "skill_window",
    "entry_confidence",
)


def _value(key: str) -> st.SearchStrategy[Any]:
    spec = PARAMETER_SPECS[key]
    low = spec.minimum if spec.minimum is not None else 0
    high = spec.maximum if spec.maximum is not None else low + 1000
    if spec.kind is int:
        return st.integers(int(low) - 1, min(int(high), int(low) + 600) + 1)
    return st.floats(float(low) - 0.05, min(float(high), float(low) + 20) + 0.05).map(
        lambda number: round(number, 3)
    )


CHANGES = st.lists(
    st.sampled_from(KEYS).flatmap(lambda key: st.tuples(st.just(key), _value(key))),
    min_size=1,
    max_size=3,
    unique_by=lambda pair: pair[0],
).map(dict)


def _engine() -> tuple[RiskEngine, InMemoryBus]:
    bus = InMemoryBus()
    config = RiskEngineConfig(block_ms=0, heartbeat_seconds=30.0, handler_retry_delay_s=0.0)
    engine = RiskEngine(
        bus, config, clock=lambda: NOW, state_store=MemoryStateStore(), parameters=None
    )
    return engine, bus


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(first=CHANGES, second=CHANGES)
def test_what_the_api_stores_lean_and_the_engine_apply_and_what_it_refuses_they_refuse(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    savepoint = transaction.savepoint()
    try:
        lean, (engine, bus) = StrategySettings(), _engine()
        expected = StrategyParameters()
        for change in (first, second):
            try:
                stored = strategy_config_update(
                    values=change, changed_by="operator", reason="property test", now=NOW
                )
            except InvalidInput:
                refused = True
            else:
                refused = False
            if refused:
                # Refused: applied one key at a time, in any order, some step fails in
                # LEAN's settings too (checked here in sorted and reverse order).
                for order in (sorted(change), sorted(change, reverse=True)):
                    trial = StrategySettings(lean.current)
                    outcomes = [trial.apply(key, change[key]) for key in order]
                    assert not all(o.accepted for o in outcomes), change
                continue
            for row in stored:  # the publish order
                message = StrategyConfigUpdate.create(
                    key=row.key,
                    value=row.new_value,
                    version=row.version,
                    changed_by="operator",
                    now=NOW,
                )
                assert all(o.accepted for o in lean.apply_updates([message])), message
                bus.publish(message)
                engine.run_once()
                expected = expected.replace(**{row.key: row.new_value})
            assert lean.current == expected
            assert engine.parameters == expected
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_contradiction_is_a_400_naming_every_field_and_the_rule(client_for: Any) -> None:
    client = client_for("operator")
    response = client.put(
        "/api/strategy/config/",
        {"values": {"drawdown_threshold": 0.3}, "reason": "too loose"},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {e["field"] for e in errors} == {
        "values.drawdown_threshold",
        "values.drawdown_halt_limit",
    }
    assert {e["rule"] for e in errors} == {"cross_field"}
    assert "drawdown_threshold must be below drawdown_halt_limit" in errors[0]["message"]
    # Together with a higher halt limit the same value is fine, and stored in an order
    # every consumer can apply: the halt limit first.
    ok = client.put(
        "/api/strategy/config/",
        {"values": {"drawdown_threshold": 0.3, "drawdown_halt_limit": 0.4}, "reason": "wider"},
        format="json",
    )
    assert ok.status_code == 200, ok.content
