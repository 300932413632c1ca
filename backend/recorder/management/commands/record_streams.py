"""``manage.py record_streams``: record the bus channels into the database until stopped."""

from __future__ import annotations

import os
import signal
import socket
from dataclasses import fields
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from backend.common.bus import bus_get
from backend.recorder.handlers import DatabaseStore
from engines.recorder.runner import Recorder, RecorderConfig
from signal_bus.channels import ALL_CHANNELS

# The command's defaults are the configuration's, so the benchmark measures what runs.
DEFAULTS = {spec.name: spec.default for spec in fields(RecorderConfig)}
# On PostgreSQL a second forecast consumer overlaps one's COPY and commit with the other's
# reading and decoding (about 1.4 times the rate of one on the 2-core benchmark machine);
# SQLite serialises writers, so elsewhere the channel gets --workers-per-channel.
FORECAST_WORKERS_POSTGRESQL = 2


def forecast_workers_resolve(*, requested: int | None, vendor: str) -> int | None:
    """The ``forecast_workers`` the command runs with: as given, else 2 on PostgreSQL."""
    if requested is not None:
        return requested
    return FORECAST_WORKERS_POSTGRESQL if vendor == "postgresql" else None


class Command(BaseCommand):
    help = (
        "Consume forecast_updates, risk_updates, strategy_config and execution_events through "
        "consumer groups and store them; messages are acknowledged only after their batch commits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--channels", nargs="+", choices=ALL_CHANNELS, default=list(ALL_CHANNELS)
        )
        parser.add_argument("--group", default="backend-recorder")
        parser.add_argument("--consumer", default=f"{socket.gethostname()}-{os.getpid()}")
        parser.add_argument(
            "--namespace", default=None, help="bus namespace (default: SIGNAL_BUS_NAMESPACE)"
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
        parser.add_argument("--block-ms", type=int, default=DEFAULTS["block_ms"])
        parser.add_argument("--claim-idle-ms", type=int, default=DEFAULTS["claim_idle_ms"])
        parser.add_argument(
            "--workers-per-channel", type=int, default=DEFAULTS["workers_per_channel"]
        )
        parser.add_argument(
            "--consumer-delete-idle-ms",
            type=int,
            default=DEFAULTS["consumer_delete_idle_ms"],
            help="delete other consumers of the group idle this long with nothing pending "
            "(dead recorders whose messages were claimed); negative: never",
        )
        parser.add_argument(
            "--forecast-workers",
            type=int,
            default=None,
            help="consumers of forecast_updates (default: 2 on PostgreSQL, else --workers-per-channel)",
        )
        parser.add_argument(
            "--stream-max-length",
            type=int,
            default=None,
            help="bound (MAXLEN ~) of the dead-letter streams the recorder writes",
        )
        parser.add_argument(
            "--metrics-port",
            type=int,
            default=int(os.environ.get("RECORDER_METRICS_PORT", "0") or 0),
            help="serve Prometheus /metrics on this port (0: off; default: RECORDER_METRICS_PORT)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bus = bus_get(namespace=options["namespace"])
        if options["stream_max_length"] is not None:
            from signal_bus.redis_bus import RedisBus

            bus = RedisBus(
                bus.config,
                namespace=bus.names.namespace,
                stream_max_length=options["stream_max_length"],
            )
        recorder = Recorder(
            bus=bus,
            store=DatabaseStore(),
            config=RecorderConfig(
                channels=tuple(options["channels"]),
                group=options["group"],
                consumer=options["consumer"],
                batch_size=options["batch_size"],
                block_ms=options["block_ms"],
                claim_idle_ms=options["claim_idle_ms"],
                workers_per_channel=options["workers_per_channel"],
                consumer_delete_idle_ms=options["consumer_delete_idle_ms"]
                if options["consumer_delete_idle_ms"] >= 0
                else None,
                forecast_workers=forecast_workers_resolve(
                    requested=options["forecast_workers"], vendor=connection.vendor
                ),
            ),
        )
        if options["metrics_port"]:
            from engines.observability.metrics import start_metrics_server

            port = start_metrics_server(options["metrics_port"])
            self.stdout.write(f"metrics on port {port}")
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signal_number, lambda *_: recorder.stop_event.set())
        recorder.start()
        self.stdout.write(f"recording {', '.join(options['channels'])} as {options['consumer']}")
        recorder.stop_event.wait()
        recorder.stop()
        self.stdout.write("recorder stopped")
