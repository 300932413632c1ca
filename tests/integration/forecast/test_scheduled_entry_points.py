"""The callables Celery beat runs: ``engines.forecast.engine.run_cycle`` and ``retrain``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from engines.forecast.engine import config_from_environment, retrain, run_cycle
from signal_bus import FORECAST_UPDATES, RedisBus
from tests.support.redis_namespace import SHARED_REDIS_URL, redis_namespace

NOW = dt.datetime(2013, 2, 28, 23, 0, tzinfo=dt.UTC)


@pytest.fixture
def engine_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    with redis_namespace(prefix="test-beat") as namespace:
        for name, value in {
            "ATS_FORECAST_SOURCE": "bundled",
            "ATS_FORECAST_SYMBOLS": "AAPL,MSFT",
            "ATS_FORECAST_MODEL": "sklearn",
            "ATS_FORECAST_RETRAIN": "quarterly",
            "ATS_MODEL_REGISTRY": str(tmp_path / "models"),
            "REDIS_URL": SHARED_REDIS_URL,
            "SIGNAL_BUS_NAMESPACE": namespace,
        }.items():
            monkeypatch.setenv(name, value)
        yield namespace


def test_config_follows_the_environment() -> None:
    config = config_from_environment(
        "1d",
        {
            "ATS_FORECAST_SOURCE": "bundled",
            "ATS_FORECAST_MODEL": "ensemble",
            "ATS_FORECAST_SEED": "7",
        },
    )
    assert config.horizons == ("1d",)
    assert (config.model, config.seed, config.bars.source) == ("ensemble", 7, "bundled")


@pytest.mark.redis
def test_retrain_then_cycle_publishes_each_asset_once(engine_environment: str) -> None:
    trained = retrain(horizon="1d", now=NOW)
    assert trained["versions_trained"] > 0
    assert trained["missing"] == []

    result = run_cycle(horizon="1d", now=NOW)
    assert result["published"] == 2
    assert result["versions_trained"] == 0, "the retrain already saved this period's version"
    with RedisBus(url=SHARED_REDIS_URL, namespace=engine_environment) as bus:
        latest = bus.last_values(FORECAST_UPDATES)
    assert sorted(latest) == ["AAPL:1d", "MSFT:1d"]
    assert all(message.ts_init == NOW for message in latest.values())
    assert REGISTRY.get_sample_value("ats_forecast_cycle_assets", {"horizon": "1d"}) == 2
