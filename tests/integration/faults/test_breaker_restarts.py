"""A drawdown past the limit trips the breaker; it survives restarting every process and only
an operator's re-arm through the API clears it, with the audit log saying who and why."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backend.risk.models import BreakerState
from risk_models.breakers import DRAWDOWN_LIMIT
from signal_bus.channels import RISK_UPDATES
from signal_bus.messages import PortfolioSnapshot, RiskUpdate
from signal_bus.redis_bus import RedisBus
from tests.integration.faults.conftest import MANAGE, stop_process, wait_until
from tests.support.redis_server import RedisServer, free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow, pytest.mark.redis]

ATS = Path(sys.executable).parent / "ats"
PASSWORD = "a-fault-test-password-1"


class Processes:
    """The risk engine and the backend as subprocesses (the recorder comes from a fixture)."""

    def __init__(self, server: RedisServer, namespace: str, tmp_path: Path) -> None:
        from django.db import connection

        self.namespace = namespace
        self.tmp_path = tmp_path
        self.server = server
        self.port = free_port()
        self.environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "backend.settings.test",
            "TEST_DB_NAME": connection.settings_dict["NAME"],
            "REDIS_URL": server.url,
            "SIGNAL_BUS_NAMESPACE": namespace,
            "LOG_LEVEL": "WARNING",
        }
        self.running: list[subprocess.Popen[bytes]] = []

    def _start(self, name: str, arguments: list[str]) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}.log").open("ab")
        process = subprocess.Popen(
            arguments, env=self.environment, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.running.append(process)
        return process

    def start_risk_engine(self) -> subprocess.Popen[bytes]:
        return self._start(
            "risk-engine",
            [str(ATS), "risk", "run", "--redis-url", self.server.url, "--namespace", self.namespace,
             "--tick-seconds", "0.2", "--heartbeat-seconds", "60",
             "--parameter", "state_min_dwell_seconds=0"],
        )  # fmt: skip

    def start_backend(self) -> subprocess.Popen[bytes]:
        process = self._start(
            "backend",
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{self.port}", "--noreload"],
        )
        if not wait_until(self._healthy, 30.0, 0.1):
            log = (self.tmp_path / "backend.log").read_text(errors="replace")
            pytest.fail(f"the backend did not start:\n{log[-3000:]}")
        return process

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def stop_all(self) -> None:
        for process in self.running:
            stop_process(process)
        self.running.clear()

    def api(
        self, method: str, path: str, token: str | None = None, body: Any = None
    ) -> tuple[int, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def token(self, username: str) -> str:
        status, body = self.api(
            "POST", "auth/token/", body={"username": username, "password": PASSWORD}
        )
        assert status == 200, body
        return str(body["access"])


@pytest.fixture
def processes(redis_server: RedisServer, namespace: str, tmp_path: Path) -> Iterator[Processes]:
    running = Processes(redis_server, namespace, tmp_path)
    yield running
    running.stop_all()


def describe(risk: RiskUpdate | None) -> str:
    return "none" if risk is None else f"{risk.state} {risk.risk_factor} {list(risk.reasons)}"


def breaker_state() -> str | None:
    row = BreakerState.objects.filter(name=DRAWDOWN_LIMIT).first()
    return None if row is None else row.state


def test_drawdown_breaker_survives_restarts_until_an_operator_rearms_it(
    redis_server: RedisServer,
    namespace: str,
    processes: Processes,
    start_recorder: Callable[..., subprocess.Popen[bytes]],
    django_user_model: Any,
) -> None:
    from django.contrib.auth.models import Group

    operator = django_user_model.objects.create_user(username="fault-operator", password=PASSWORD)
    operator.groups.add(Group.objects.get_or_create(name="operator")[0])
    viewer = django_user_model.objects.create_user(username="fault-viewer", password=PASSWORD)
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])

    bus = RedisBus(url=redis_server.url, namespace=namespace)

    def latest_risk() -> RiskUpdate | None:
        message = bus.last(RISK_UPDATES)
        return message if isinstance(message, RiskUpdate) else None

    def published_after(moment: datetime) -> Callable[[], RiskUpdate | None]:
        def check() -> RiskUpdate | None:
            risk = latest_risk()
            return risk if risk is not None and risk.ts_init > moment else None

        return check

    try:
        recorder = start_recorder("recorder-breaker-1")
        processes.start_risk_engine()
        processes.start_backend()

        # 100,000 -> 80,000 is a 20 % drawdown, past the 15 % halt limit.
        for equity in (100_000.0, 80_000.0):
            bus.publish(PortfolioSnapshot.create(equity=equity, cash=equity, now=datetime.now(UTC)))
        assert wait_until(
            lambda: (risk := latest_risk()) is not None and risk.state == "halted", 30.0
        ), latest_risk()
        risk = latest_risk()
        assert risk is not None
        assert DRAWDOWN_LIMIT in risk.reasons
        assert risk.risk_factor == 0.0
        assert wait_until(lambda: breaker_state() == BreakerState.TRIPPED, 30.0)

        # Equity recovers: the breaker is latched all the same.
        bus.publish(
            PortfolioSnapshot.create(equity=100_000.0, cash=100_000.0, now=datetime.now(UTC))
        )

        # Restart every process.
        stop_process(recorder)
        processes.stop_all()
        restarted_at = datetime.now(UTC)
        start_recorder("recorder-breaker-2")
        processes.start_risk_engine()
        processes.start_backend()
        after_restart = published_after(restarted_at)
        assert wait_until(after_restart, 30.0)
        risk = after_restart()
        assert risk is not None
        assert risk.state == "halted"
        assert DRAWDOWN_LIMIT in risk.reasons
        assert breaker_state() == BreakerState.TRIPPED
        status, current = processes.api("GET", "risk/", processes.token("fault-viewer"))
        assert status == 200
        assert {"name": DRAWDOWN_LIMIT, "state": BreakerState.TRIPPED} in [
            {"name": row["name"], "state": row["state"]} for row in current["breakers"]
        ]

        # A viewer may not re-arm; nothing changes.
        status, _ = processes.api(
            "POST", "risk/rearm/", processes.token("fault-viewer"),
            {"breaker": DRAWDOWN_LIMIT, "reason": "viewer tries"},
        )  # fmt: skip
        assert status == 403
        assert breaker_state() == BreakerState.TRIPPED

        # The operator re-arms with a reason; the engine clears its latch.
        rearmed_at = datetime.now(UTC)
        reason = "drawdown reviewed: equity recovered, limits unchanged"
        status, body = processes.api(
            "POST", "risk/rearm/", processes.token("fault-operator"),
            {"breaker": DRAWDOWN_LIMIT, "reason": reason},
        )  # fmt: skip
        assert status == 201, body
        cleared = published_after(rearmed_at)
        assert wait_until(
            lambda: (risk := cleared()) is not None and risk.state != "halted", 30.0
        ), describe(latest_risk())
        risk = latest_risk()
        assert risk is not None
        assert DRAWDOWN_LIMIT not in risk.reasons
        assert risk.risk_factor > 0.0
        assert breaker_state() == BreakerState.ARMED

        status, audit = processes.api("GET", "audit/", processes.token("fault-viewer"))
        assert status == 200
        rows = audit["results"] if isinstance(audit, dict) else audit
        rearms = [row for row in rows if row["action"] == "breaker_rearmed"]
        assert len(rearms) == 1
        assert rearms[0]["actor"] == "fault-operator"
        assert rearms[0]["target"] == f"breaker:{DRAWDOWN_LIMIT}"
        assert rearms[0]["payload"]["reason"] == reason
    finally:
        bus.close()
