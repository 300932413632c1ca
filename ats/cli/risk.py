"""``ats risk``: Run and evaluate the risk engine."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from ats.cli.options import (
    bus_options,
    json_option,
    lean_series_options,
    open_bus,
    parameter_option,
)
from risk_models.parameters import ParameterError, StrategyParameters


@click.group()
def risk() -> None:
    """Run and evaluate the risk engine."""


REPLAY_GARCH_REFIT_SECONDS = 30 * 86_400.0


def parse_parameters(
    pairs: tuple[str, ...], defaults: dict[str, object] | None = None
) -> StrategyParameters:
    """Build strategy parameters from ``KEY=VALUE`` pairs over ``defaults`` and the schema defaults."""
    values: dict[str, object] = dict(defaults or {})
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--parameter")
        values[key.strip()] = value.strip()
    try:
        return StrategyParameters.from_mapping(values)
    except ParameterError as error:
        raise click.BadParameter(str(error), param_hint="--parameter") from None


@risk.command("evaluate")
@click.option(
    "--forecasts",
    "forecasts_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Forecasts CSV: symbol,time,horizon,prediction,confidence[,model_version,status,tradable].",
)
@lean_series_options(
    exists=True,
    data_folder={"required": True, "help": "LEAN data folder with the price bars."},
    symbols={"required": True, "multiple": True, "help": "Symbols, comma-separated or repeated."},
)
@click.option("--start", default=None, help="First bar date (YYYY-MM-DD).")
@click.option("--end", default=None, help="Last bar date (YYYY-MM-DD).")
@parameter_option("Override a strategy parameter (repeatable).")
@click.option(
    "--rearm-after-days",
    type=click.FloatRange(min=0.0),
    default=5.0,
    show_default=True,
    help="Simulated operator re-arms a latched breaker this many days after it tripped; 0 never re-arms.",
)
@click.option(
    "--cost-bps",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Trading cost per unit of turnover, in basis points.",
)
@click.option("--no-garch", is_flag=True, help="Use realized volatility only (faster).")
@click.option(
    "--fill",
    type=click.Choice(["close", "next-open"]),
    default="close",
    show_default=True,
    help="Fill targets at the close they are decided on, or at the next bar's open "
    "(what LEAN does with orders sent at a daily close).",
)
@click.option(
    "--ungated",
    is_flag=True,
    help="Trade every forecast, ignoring the tradable column (the behaviour before the "
    "promotion gates); by default forecasts of non-live model versions are never sized.",
)
@json_option("Print one JSON object with unmanaged and managed results.")
def evaluate_command(
    forecasts_path: Path,
    data_folder: Path,
    security_type: str,
    market: str,
    symbols: tuple[str, ...],
    resolution: str,
    start: str | None,
    end: str | None,
    parameters: tuple[str, ...],
    rearm_after_days: float,
    cost_bps: float,
    no_garch: bool,
    fill: str,
    ungated: bool,
    as_json: bool,
) -> None:
    """Replay forecasts and prices with and without the risk engine and compare.

    Only forecasts marked tradable (their model version is live) are traded unless
    --ungated is given; a file without the tradable column is all tradable.
    """
    from engines.risk.evaluation import PriceSelection, evaluate, parse_symbols
    from engines.risk.forecasts_file import ForecastFileError
    from engines.risk.replay import ReplayConfig
    from market_data.lean import LeanDataError

    config = ReplayConfig(
        parameters=parse_parameters(
            parameters, {"garch_refit_seconds": REPLAY_GARCH_REFIT_SECONDS}
        ),
        rearm_after=timedelta(days=rearm_after_days) if rearm_after_days > 0 else None,
        cost_bps=cost_bps,
        use_garch=not no_garch,
        fill="next_open" if fill == "next-open" else "close",
        gated=not ungated,
    )
    try:
        selection = PriceSelection(
            data_folder, security_type, market, parse_symbols(symbols), resolution, start, end
        )
        report = evaluate(forecasts_path, selection, config)
    except (ForecastFileError, LeanDataError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    _print_report(report)


def _print_report(report: dict[str, object]) -> None:
    def number(value: object, percent: bool = False) -> str:
        if not isinstance(value, int | float):
            return "n/a"
        return f"{value:.2%}" if percent else f"{value:.3f}"

    click.echo(
        f"bars: {report['bars']} measured from {report['measured_from']} "
        f"(after {report['warm_up_bars']} warm-up bars)  forecasts: {report['forecasts']}"
    )
    if report["gated"]:
        missing = report["no_live_model_bars"]
        assert isinstance(missing, dict)
        without = ", ".join(f"{symbol} {bars}" for symbol, bars in missing.items() if bars)
        click.echo(
            f"gated: only tradable forecasts (live model versions) are sized; "
            f"{report['tradable_forecasts']} of {report['forecasts']} tradable; "
            f"bars with no live model: {without or 'none'}"
        )
    else:
        click.echo("ungated: every forecast is sized, whatever its model version's status")
    click.echo(f"{'':12}{'CAGR':>10}{'Sharpe':>10}{'max DD':>10}{'trips':>7}  time in state")
    for name in ("unmanaged", "managed"):
        row = report[name]
        assert isinstance(row, dict)
        states = ", ".join(f"{state} {share:.0%}" for state, share in row["time_in_state"].items())
        click.echo(
            f"{name:12}{number(row['cagr'], True):>10}{number(row['sharpe']):>10}"
            f"{number(row['max_drawdown'], True):>10}{row['breaker_trips']:>7}  {states}"
        )
    goal = report["goal"]
    assert isinstance(goal, dict)
    click.echo(
        f"goal: managed max drawdown / unmanaged = {number(goal['drawdown_ratio'])} (<= 0.5: "
        f"{'met' if goal['drawdown_met'] else 'not met'}); Sharpe kept = {number(goal['sharpe_ratio'])} "
        f"(>= 0.8: {'met' if goal['sharpe_met'] else 'not met'})"
    )


DATABASE_CONNECT_TIMEOUT_SECONDS = 5
"""Longest wait for PostgreSQL at the engine's start (libpq's ``PGCONNECT_TIMEOUT``, unless set)."""


def database_configured(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment names the backend's database (``DATABASE_URL`` or ``DB_HOST``)."""
    values = os.environ if environ is None else environ
    return bool(values.get("DATABASE_URL") or values.get("DB_HOST"))


def database_state_loader() -> Callable[[], dict[str, Any] | None]:
    """Return a loader of the engine state from the backend's database (Django set up on call)."""

    def load() -> dict[str, Any] | None:
        os.environ.setdefault("PGCONNECT_TIMEOUT", str(DATABASE_CONNECT_TIMEOUT_SECONDS))
        from backend import embedded

        embedded.django_setup()
        return embedded.risk_engine_state_load()

    return load


@risk.command("run")
@bus_options
@click.option("--group", default="risk-engine", show_default=True, help="Consumer group name.")
@click.option(
    "--consumer", default="risk-engine-1", show_default=True, help="This process's consumer name."
)
@click.option(
    "--tick-seconds",
    type=click.FloatRange(min=0.05),
    default=5.0,
    show_default=True,
    help="Evaluation timer.",
)
@click.option(
    "--heartbeat-seconds",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Republish an unchanged decision this often.",
)
@click.option(
    "--bar-seconds",
    type=click.FloatRange(min=1.0),
    default=3600.0,
    show_default=True,
    help="Price sampling for volatility.",
)
@parameter_option("Starting strategy parameter (strategy_config changes it live).")
@click.option(
    "--metrics-port",
    envvar="METRICS_PORT",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus /metrics on this port (default: METRICS_PORT; none when unset).",
)
@lean_series_options(
    prefix="prices-",
    exists=True,
    data_folder={
        "default": None,
        "help": "LEAN data folder to read market prices from (for volatility and forecast skill).",
    },
    security_type={"default": "crypto", "help": "Security type of the price series."},
    market={"default": "binance", "help": "LEAN market of the price series."},
    symbols={"default": "", "help": "Comma-separated symbols whose prices to read."},
    resolution={"default": "hour", "help": "Resolution of the price series."},
)
@click.option(
    "--restore-from-database/--no-restore-from-database",
    default=database_configured,
    show_default="on when DATABASE_URL or DB_HOST is set",
    help="On start, use the backend's database when Redis holds no (or a corrupt) engine "
    "state, and keep breakers it saw trip after the Redis state was written.",
)
def run_command(
    namespace: str,
    redis_url: str | None,
    group: str,
    consumer: str,
    tick_seconds: float,
    heartbeat_seconds: float,
    bar_seconds: float,
    parameters: tuple[str, ...],
    metrics_port: int | None,
    prices_data_folder: Path | None,
    prices_symbols: str,
    prices_security_type: str,
    prices_market: str,
    prices_resolution: str,
    restore_from_database: bool,
) -> None:
    """Consume forecasts, portfolio snapshots and config; publish risk updates until stopped."""
    import logging
    import signal
    import threading
    from datetime import UTC, datetime

    from engines.risk.engine import RiskEngine, RiskEngineConfig
    from engines.risk.evaluation import parse_symbols
    from engines.risk.price_feed import LeanPriceFeed, LeanPriceFeedConfig
    from engines.risk.state_store import FallbackStateStore, RedisStateStore, StateStore, state_key
    from risk_models.monitor import RiskMonitorConfig

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    price_feed = None
    if prices_data_folder is not None:
        try:
            price_feed = LeanPriceFeed(
                LeanPriceFeedConfig(
                    prices_data_folder,
                    prices_security_type,
                    prices_market,
                    parse_symbols(prices_symbols),
                    prices_resolution,
                )
            )
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--prices-symbols") from None
    if metrics_port is not None:
        from engines.observability.metrics import start_metrics_server

        click.echo(f"metrics on port {start_metrics_server(metrics_port)}")
    starting_parameters = parse_parameters(parameters)
    bus = open_bus(redis_url, namespace)
    store: StateStore = RedisStateStore(bus.client, state_key(namespace))
    if restore_from_database:
        store = FallbackStateStore(
            store, database_state_loader(), base_parameters=starting_parameters.as_dict()
        )
    engine = RiskEngine(
        bus,
        RiskEngineConfig(
            group=group,
            consumer=consumer,
            tick_seconds=tick_seconds,
            heartbeat_seconds=heartbeat_seconds,
            monitor=RiskMonitorConfig(bar_seconds=bar_seconds),
        ),
        clock=lambda: datetime.now(UTC),
        state_store=store,
        parameters=starting_parameters,
        price_feed=price_feed,
    )
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    click.echo(f"risk engine running (namespace {namespace or '-'}); Ctrl-C stops it")
    try:
        engine.run_forever(stop)
    finally:
        bus.close()


@risk.command("rearm")
@click.argument("breaker")
@click.option("--reason", required=True, help="Why the breaker may be re-armed.")
@click.option("--by", "changed_by", required=True, help="Who re-arms it.")
@bus_options
def rearm_command(
    breaker: str, reason: str, changed_by: str, namespace: str, redis_url: str | None
) -> None:
    """Ask the running risk engine to re-arm a latched BREAKER (sent as a strategy_config change)."""
    from datetime import UTC, datetime

    from engines.risk.engine import REARM_KEY
    from risk_models.breakers import BREAKER_STATES
    from signal_bus.messages import StrategyConfigUpdate

    if breaker not in BREAKER_STATES:
        raise click.BadParameter(
            f"expected one of {', '.join(BREAKER_STATES)}", param_hint="BREAKER"
        )
    with open_bus(redis_url, namespace) as bus:
        bus.publish(
            StrategyConfigUpdate.create(
                key=REARM_KEY,
                value={"breaker": breaker, "reason": reason, "by": changed_by},
                version=1,
                changed_by=changed_by,
                reason=reason,
                now=datetime.now(UTC),
            )
        )
    click.echo(f"re-arm of {breaker} requested by {changed_by}")


@risk.command("status")
@bus_options
def status_command(namespace: str, redis_url: str | None) -> None:
    """Print the risk engine's saved state: last decision, latched breakers, re-arms."""
    from engines.risk.state_store import RedisStateStore, state_key

    bus = open_bus(redis_url, namespace)
    try:
        state = RedisStateStore(bus.client, state_key(namespace)).load()
    finally:
        bus.close()
    if state is None:
        raise click.ClickException("no saved risk engine state")
    controller = state.get("monitor", {}).get("controller", {})
    click.echo(
        json.dumps(
            {key: controller.get(key) for key in ("state", "last_decision", "latched", "rearms")},
            indent=2,
        )
    )
