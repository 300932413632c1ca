"""Options shared by the ``ats`` commands that talk to the signal bus."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from signal_bus.redis_bus import RedisBus


def bus_options(function: click.decorators.FC) -> click.decorators.FC:
    """Add ``--redis-url`` and ``--namespace`` (from REDIS_URL and SIGNAL_BUS_NAMESPACE)."""
    function = click.option(
        "--namespace",
        envvar="SIGNAL_BUS_NAMESPACE",
        default="",
        show_default=True,
        help="Prefix of every channel and key on Redis (env SIGNAL_BUS_NAMESPACE).",
    )(function)
    return click.option(
        "--redis-url",
        envvar="REDIS_URL",
        default=None,
        help="Redis URL; default from REDIS_URL or REDIS_HOST/REDIS_PORT/REDIS_PASSWORD/REDIS_DB.",
    )(function)


def open_bus(redis_url: str | None, namespace: str) -> RedisBus:
    """Return a Redis bus for the options, or fail with a message saying what is wrong."""
    from signal_bus.connection import RedisConnectionConfig
    from signal_bus.redis_bus import RedisBus

    try:
        config = (
            RedisConnectionConfig.from_url(redis_url)
            if redis_url
            else RedisConnectionConfig.from_environment()
        )
        return RedisBus(config, namespace=namespace)
    except ValueError as error:
        raise click.ClickException(f"bad bus settings: {error}") from None
