"""``python -m engines.observability.exporter``: serve ``/metrics`` until stopped.

Run beside a program whose processes write metrics to ``PROMETHEUS_MULTIPROC_DIR`` (the
container entrypoint starts it for every service that sets ``METRICS_EXPORTER_PORT``), so the
metrics of a Celery prefork worker or of the stream recorder are scraped from one port
without the program opening a server itself. (A single-process engine that serves its own
metrics with :func:`~engines.observability.metrics.start_metrics_server` uses ``METRICS_PORT``
instead; the two never share a port.)
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engines.observability.metrics import start_metrics_server

DEFAULT_ADDRESS = "0.0.0.0"


@dataclass(frozen=True, slots=True)
class MetricsExporterConfig:
    """Where the exporter listens.

    Parameters
    ----------
    port
        TCP port, 1..65535.
    address
        Interface to bind.
    """

    port: int
    address: str = DEFAULT_ADDRESS

    def __post_init__(self) -> None:
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ValueError(f"port must be an integer, got {self.port!r}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port must lie in 1..65535, got {self.port}")
        if not self.address.strip():
            raise ValueError("address must not be empty")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> MetricsExporterConfig:
        """Read ``METRICS_EXPORTER_PORT`` (required) and ``METRICS_EXPORTER_ADDRESS``."""
        env = os.environ if environ is None else environ
        raw_port = env.get("METRICS_EXPORTER_PORT", "").strip()
        if not raw_port:
            raise ValueError("METRICS_EXPORTER_PORT is not set")
        try:
            port = int(raw_port)
        except ValueError:
            raise ValueError(
                f"METRICS_EXPORTER_PORT must be an integer, got {raw_port!r}"
            ) from None
        return cls(
            port=port, address=env.get("METRICS_EXPORTER_ADDRESS", "").strip() or DEFAULT_ADDRESS
        )


def run_exporter(config: MetricsExporterConfig, stop_event: threading.Event) -> int:
    """Serve metrics until ``stop_event`` is set; return the bound port."""
    port = start_metrics_server(config.port, config.address)
    stop_event.wait()
    return port


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``--port``/``--address`` (defaults from the environment) and serve until SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m engines.observability.exporter")
    parser.add_argument("--port", type=int, default=None, help="default: METRICS_EXPORTER_PORT")
    parser.add_argument(
        "--address", default=None, help="default: METRICS_EXPORTER_ADDRESS or 0.0.0.0"
    )
    arguments = parser.parse_args(argv)
    environment = dict(os.environ)
    if arguments.port is not None:
        environment["METRICS_EXPORTER_PORT"] = str(arguments.port)
    if arguments.address is not None:
        environment["METRICS_EXPORTER_ADDRESS"] = arguments.address
    try:
        config = MetricsExporterConfig.from_environment(environment)
    except ValueError as error:
        parser.error(str(error))
    stop_event = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop_event.set())
    run_exporter(config, stop_event)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
