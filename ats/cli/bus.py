"""``ats bus``: Inspect and exercise the Redis signal bus."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click
import redis

from ats.cli.options import bus_options, open_bus
from signal_bus.bus import StreamEntry
from signal_bus.channels import (
    ALL_CHANNELS,
    EXECUTION_EVENTS,
    FORECAST_UPDATES,
    RISK_UPDATES,
    STRATEGY_CONFIG,
)
from signal_bus.codec import decode, to_dict
from signal_bus.errors import MessageValidationError, TransportConnectionError
from signal_bus.messages import (
    ForecastUpdate,
    Message,
    OrderEvent,
    PortfolioSnapshot,
    RiskUpdate,
    StrategyConfigUpdate,
)
from signal_bus.redis_bus import RedisBus

_CHANNEL = click.Choice(ALL_CHANNELS)


@click.group()
@bus_options
@click.pass_context
def bus(context: click.Context, redis_url: str | None, namespace: str) -> None:
    """Inspect and exercise the Redis signal bus."""
    context.obj = {"redis_url": redis_url or None, "namespace": namespace}


@contextmanager
def _open_bus(context: click.Context) -> Iterator[RedisBus]:
    settings: dict[str, Any] = context.obj or {}
    connection = open_bus(settings.get("redis_url"), settings.get("namespace", ""))
    config = connection.config
    try:
        yield connection
    except (TransportConnectionError, redis.ConnectionError, redis.TimeoutError) as error:
        raise click.ClickException(
            f"cannot reach Redis at {config.host}:{config.port}: {error}"
        ) from None
    finally:
        connection.close()


def _print_message(message: Message) -> None:
    click.echo(json.dumps(to_dict(message), sort_keys=False))


def example_message(channel: str, now: datetime) -> Message:
    """Return a plausible example message for ``channel`` created at ``now``."""
    if channel == FORECAST_UPDATES:
        return ForecastUpdate.create(
            asset="BTCUSD",
            horizon="4h",
            prediction=0.0082,
            confidence=0.76,
            model="example",
            model_version="0",
            interval_low=-0.012,
            interval_high=0.028,
            now=now,
        )
    if channel == RISK_UPDATES:
        return RiskUpdate.create(
            risk_factor=0.8,
            state="active",
            reasons=["low_confidence", "high_volatility"],
            inputs={"mean_confidence": 0.61, "volatility": 0.034},
            now=now,
        )
    if channel == STRATEGY_CONFIG:
        return StrategyConfigUpdate.create(
            key="entry_confidence",
            value=0.58,
            version=1,
            changed_by="ats-cli",
            reason="example",
            now=now,
        )
    if channel == EXECUTION_EVENTS:
        return OrderEvent.create(
            order_id=1,
            symbol="SPY",
            status="filled",
            direction="buy",
            quantity=10,
            fill_price=512.25,
            fill_quantity=10,
            fee=1.0,
            fee_currency="USD",
            tag="example",
            now=now,
        )
    raise click.BadParameter(f"unknown channel {channel!r}")


@bus.command("publish-example")
@click.argument("channel", type=_CHANNEL)
@click.option("--snapshot", is_flag=True, help="On execution_events, send a portfolio snapshot.")
@click.pass_context
def publish_example(context: click.Context, channel: str, snapshot: bool) -> None:
    """Publish an example message on CHANNEL and print it."""
    now = datetime.now(UTC)
    if snapshot and channel == EXECUTION_EVENTS:
        message: Message = PortfolioSnapshot.create(
            equity=100_000.0, cash=94_877.5, holdings={"SPY": 10}, drawdown=0.01, now=now
        )
    else:
        message = example_message(channel, now)
    with _open_bus(context) as connection:
        connection.publish(message)
    _print_message(message)


@bus.command()
@click.argument("channel", type=_CHANNEL)
@click.argument("key", required=False, default=None)
@click.pass_context
def last(context: click.Context, channel: str, key: str | None) -> None:
    """Print the current value of KEY on CHANNEL, or every current value.

    Keys: forecast_updates "<asset>:<horizon>" (e.g. BTCUSD:4h); risk_updates has one
    value (no key); strategy_config the parameter name; execution_events
    "order:<symbol>" and "portfolio".
    """
    with _open_bus(context) as connection:
        if key is None:
            values = connection.last_values(channel)
            if not values:
                raise click.ClickException(f"no values on {channel}")
            for _, message in sorted(values.items()):
                _print_message(message)
            return
        try:
            current = connection.last(channel, key)
        except MessageValidationError as error:
            raise click.ClickException(f"stored value is invalid: {error}") from None
    if current is None:
        raise click.ClickException(f"no value for {key!r} on {channel}")
    _print_message(current)


def _print_entry(channel: str, entry: StreamEntry) -> None:
    try:
        if entry.payload is None:
            raise MessageValidationError("payload", "entry has no payload")
        document = to_dict(decode(entry.payload, channel))
    except MessageValidationError as error:
        click.echo(json.dumps({"entry_id": entry.entry_id, "invalid": str(error)}))
        return
    click.echo(json.dumps({"entry_id": entry.entry_id, **document}))


@bus.command()
@click.argument("channel", type=_CHANNEL)
@click.option(
    "--count",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Recent messages to show first.",
)
@click.option(
    "--follow/--no-follow", default=True, show_default=True, help="Keep waiting for new ones."
)
@click.option("--timeout", type=float, default=None, help="Stop following after this many seconds.")
@click.pass_context
def tail(
    context: click.Context, channel: str, count: int, follow: bool, timeout: float | None
) -> None:
    """Print the latest messages of CHANNEL's stream, then follow new ones."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with _open_bus(context) as connection:
        stream = connection.names.stream(channel)
        recent = connection.client.xrevrange(stream, count=count) if count > 0 else []
        after = "$"
        for entry_id, fields in reversed(recent):
            entry_text = entry_id.decode()
            _print_entry(channel, StreamEntry(entry_text, fields.get(b"data")))
            after = entry_text
        if not follow:
            return
        if after == "$":
            after = _newest_id(connection, channel)
        while deadline is None or time.monotonic() < deadline:
            for entry in connection.read_stream(channel, after=after, count=100, block_ms=500):
                _print_entry(channel, entry)
                after = entry.entry_id


def _newest_id(connection: RedisBus, channel: str) -> str:
    newest = connection.client.xrevrange(connection.names.stream(channel), count=1)
    return newest[0][0].decode() if newest else "0-0"


@bus.command("dead-letters")
@click.argument("channel", type=_CHANNEL)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many of the newest to list.",
)
@click.pass_context
def dead_letters(context: click.Context, channel: str, count: int) -> None:
    """List messages of CHANNEL that failed validation, with the reason."""
    with _open_bus(context) as connection:
        letters = connection.dead_letters(channel, count)
    if not letters:
        click.echo(f"no dead letters on {channel}")
        return
    for letter in letters:
        click.echo(
            json.dumps(
                {
                    "entry_id": letter.entry_id,
                    "field": letter.field,
                    "reason": letter.reason,
                    "source_id": letter.source_id,
                    "group": letter.group,
                    "consumer": letter.consumer,
                    "payload": letter.payload.decode("utf-8", "replace"),
                }
            )
        )
