"""Migrate a fresh database and seed it through the backend's services (run as a module).

Reads the database and the bus namespace from the environment like the backend does, and
``SEED_PASSWORD``, ``SEED_VIEWER`` and ``SEED_OPERATOR`` for the two users it creates
(and ``SEED_NO_ROLE``, when set, for a user holding no role).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any


def seed(*, assets: int, hours: int, horizons: tuple[str, ...]) -> None:
    """Create users, forecasts (with signals), risk decisions, equity and one backtest."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings.development")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from backend.accounts.services import role_groups_ensure, user_role_grant
    from backend.backtests.services import backtest_import
    from backend.common.roles import Role
    from backend.execution.services import execution_messages_store
    from backend.forecasts.services import forecast_messages_store
    from backend.market.services import BarValues, bars_store
    from backend.risk.services import risk_messages_store
    from signal_bus.messages import ForecastUpdate, PortfolioSnapshot, RiskUpdate

    from . import scenario

    call_command("migrate", verbosity=0, interactive=False)
    role_groups_ensure()
    users = get_user_model()
    password = os.environ["SEED_PASSWORD"]
    for username, role in ((os.environ["SEED_VIEWER"], Role.VIEWER),
                           (os.environ["SEED_OPERATOR"], Role.OPERATOR)):  # fmt: skip
        user = users.objects.create_user(username=username, password=password)
        user_role_grant(user=user, role=role)
    if os.environ.get("SEED_NO_ROLE"):
        users.objects.create_user(username=os.environ["SEED_NO_ROLE"], password=password)

    lifecycle_seed(os.environ["SEED_OPERATOR"])

    names = scenario.asset_names(assets)
    batch: list[ForecastUpdate] = []
    bars: dict[str, list[BarValues]] = {}
    untradable_since = scenario.END - timedelta(hours=scenario.UNTRADABLE_HOURS - 1)
    for row in scenario.forecast_rows(assets=names, hours=hours, horizons=horizons):
        # The newest forecasts of one asset come from a candidate: published, not tradable.
        tradable = not (
            row.asset == scenario.UNTRADABLE_ASSET and row.timestamp >= untradable_since
        )
        version = scenario.FORECAST_VERSION if tradable else scenario.UNTRADABLE_VERSION
        batch.append(
            ForecastUpdate(
                id=f"seed-{row.asset}-{row.horizon}-{int(row.timestamp.timestamp())}",
                ts_event=row.timestamp, ts_init=row.timestamp, asset=row.asset,
                horizon=row.horizon, prediction=row.prediction, confidence=row.confidence,
                model=scenario.FORECAST_MODEL, model_version=version, tradable=tradable,
                interval_low=row.prediction - 0.003, interval_high=row.prediction + 0.003,
            )
        )  # fmt: skip
        if row.horizon == horizons[0]:
            price = 100.0 + 10 * names.index(row.asset) + 5 * row.prediction * 100
            close = price * (1 + row.prediction)
            bars.setdefault(row.asset, []).append(
                BarValues(timestamp=row.timestamp, open=price, high=max(price, close) * 1.002,
                          low=min(price, close) * 0.998, close=close, volume=1000.0)
            )  # fmt: skip
        if len(batch) >= 5000:
            forecast_messages_store(messages=batch)
            batch = []
    forecast_messages_store(messages=batch)
    for asset, hourly in bars.items():
        bars_store(asset=asset, interval="1h", bars=hourly, source="seed")
        bars_store(asset=asset, interval="1d", bars=daily_bars(hourly), source="seed")

    end = scenario.END
    risk_messages_store(
        messages=[
            RiskUpdate(id=f"seed-risk-{index}", ts_event=end - timedelta(hours=hours_before),
                       ts_init=end - timedelta(hours=hours_before), risk_factor=factor,
                       state=state, reasons=reasons, inputs={"confidence": 0.6})
            for index, (hours_before, factor, state, reasons) in enumerate(scenario.RISK_STEPS)
        ]
    )  # fmt: skip
    path = scenario.equity_path()
    peaks = [max(equity for _, equity in path[: index + 1]) for index in range(len(path))]
    execution_messages_store(
        messages=[
            PortfolioSnapshot(id=f"seed-equity-{index}", ts_event=moment, ts_init=moment,
                              equity=equity, cash=equity * 0.4, holdings={"BTCUSD": 0.5},
                              drawdown=1.0 - equity / peaks[index])
            for index, (moment, equity) in enumerate(path)
        ]
    )  # fmt: skip
    backtest_import(
        document=scenario.lean_result(), name=scenario.BACKTEST_NAME, imported_by="seed",
        now=datetime(2026, 4, 1, tzinfo=UTC),
    )  # fmt: skip


def lifecycle_seed(operator: str) -> None:
    """Model versions and their histories (``scenario.LIFECYCLE``) through the lifecycle services.

    The rule's steps go through ``apply_decision`` (gate verdicts stored as the rule stores
    them), the operator's through ``transition``; times count back from ``scenario.END``.
    """
    from backend.forecasts.lifecycle import apply_decision, register_version, transition
    from risk_models.gates import GateReport, GateResult
    from risk_models.promotion import Decision, ModelStatus

    from . import scenario

    def report(gates: tuple[scenario.Gate, ...]) -> GateReport:
        dates = int(gates[0][1])
        return GateReport(
            results=tuple(GateResult(*gate) for gate in gates), dates=dates, rows=dates * 3,
            figures={"rank_ic": 0.0061 if gates == scenario.FAILED_GATES else 0.042,
                     "hit_rate": 0.51},
        )  # fmt: skip

    first_days: dict[tuple[str, str], float] = {}
    for step in scenario.LIFECYCLE:
        key = (step.model, step.version)
        first_days[key] = max(first_days.get(key, 0.0), step.days_before_end)
    for step in sorted(scenario.LIFECYCLE, key=lambda item: -item.days_before_end):
        trained = scenario.END - timedelta(days=first_days[(step.model, step.version)] + 1)
        row = register_version(
            step.model, step.version, asset_group=step.group, horizon=step.horizon,
            metrics={"rank_ic": 0.031, "hit_rate": 0.52, "folds": 12}, trained_at=trained,
            now=trained,
        )  # fmt: skip
        now = scenario.END - timedelta(days=step.days_before_end)
        if step.actor == "operator":
            transition(row, step.status, actor=operator, reason=step.reason, manual=True, now=now)
            continue
        decision = Decision(
            status=ModelStatus(step.status), rule=scenario.RULE_TEXTS[step.status],
            gates=report(step.gates),
            shadow=None if step.shadow is None else GateResult(*step.shadow),
        )  # fmt: skip
        apply_decision(row, decision, now=now)


def daily_bars(hourly: list[Any]) -> list[Any]:
    """Hourly bars (oldest first) gathered into days, each stamped with its last hour."""
    from backend.market.services import BarValues

    days: dict[Any, list[Any]] = {}
    for bar in hourly:
        days.setdefault(bar.timestamp.date(), []).append(bar)
    return [
        BarValues(timestamp=group[-1].timestamp, open=group[0].open,
                  high=max(bar.high for bar in group), low=min(bar.low for bar in group),
                  close=group[-1].close, volume=sum(bar.volume for bar in group))
        for group in days.values()
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=3)
    parser.add_argument("--hours", type=int, default=48)
    parser.add_argument("--horizons", default="1h,4h,1d")
    options = parser.parse_args(argv)
    started = time.perf_counter()
    seed(assets=options.assets, hours=options.hours, horizons=tuple(options.horizons.split(",")))
    print(f"seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
