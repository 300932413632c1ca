"""Fixtures: a gateway on the real Redis (private namespace), tokens per role, a publisher."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from backend.updates.config import GatewayLimits
from signal_bus.messages import ForecastUpdate, RiskUpdate
from signal_bus.redis_bus import RedisBus

from .gateway import GatewayServer, fanout_on, gateway

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def publisher(settings: Any, bus_namespace: str) -> Iterator[RedisBus]:
    bus = RedisBus(url=settings.REDIS_URL, namespace=bus_namespace)
    yield bus
    bus.close()


@pytest.fixture
def live_gateway(settings: Any, bus_namespace: str) -> Iterator[GatewayServer]:
    with gateway(
        fanout=fanout_on(settings.REDIS_URL, bus_namespace),
        limits=GatewayLimits(auth_timeout_s=3.0, rate_per_second=20.0, burst=50),
    ) as server:
        yield server


@pytest.fixture
def token_for(make_user: Callable[..., Any]) -> Callable[..., str]:
    """An access token (as the login issues it) of a new user holding ``roles``."""

    def make(*roles: str) -> str:
        return str(RefreshToken.for_user(make_user(*roles)).access_token)

    return make


def forecast(asset: str, horizon: str = "1h", prediction: float = 0.01) -> ForecastUpdate:
    return ForecastUpdate.create(
        asset=asset,
        horizon=horizon,
        prediction=prediction,
        confidence=0.6,
        model="lgbm",
        model_version="1",
        now=datetime.now(UTC),
    )


def risk(factor: float, state: str = "active") -> RiskUpdate:
    return RiskUpdate.create(
        risk_factor=factor, state=state, reasons=[], inputs={}, now=datetime.now(UTC)
    )
