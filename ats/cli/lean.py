"""``ats lean``: Export forecasts for LEAN backtests and bridge to QuantConnect cloud."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from ats.cli.options import bus_options, open_bus
from engines.lean.cloud_bridge import BRIDGED_CHANNELS, CloudBridge
from engines.lean.forecast_export import (
    ExportFilter,
    ExportReport,
    forecasts_from_csv,
    forecasts_from_stream,
    write_json_lines,
)
from engines.lean.quantconnect_api import (
    DEFAULT_BASE_URL,
    CommandClientConfig,
    QuantConnectCommandClient,
    QuantConnectCredentials,
)
from signal_bus.errors import TransportConnectionError
from signal_bus.group_consumer import GroupConsumer, GroupConsumerConfig
from signal_bus.messages import Message

DEFAULT_EXPORT = Path("storage") / "adaptive_forecast" / "forecasts.jsonl"


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"not an ISO-8601 time: {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@click.group()
def lean() -> None:
    """Export forecasts for LEAN backtests and bridge to QuantConnect cloud."""


@lean.command("export-forecasts")
@click.option(
    "--from-csv",
    "csv_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Read a walk-forward forecasts CSV instead of the bus's forecast stream.",
)
@click.option("--model", default="lightgbm", show_default=True, help="Model name for CSV rows.")
@click.option("--time-zone", default="UTC", show_default=True, help="Time zone of naive CSV times.")
@bus_options
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_EXPORT,
    show_default=True,
    help="JSON-lines file; under storage/ it is the local ObjectStore key adaptive_forecast/forecasts.jsonl.",
)
@click.option("--assets", default="", help="Comma-separated assets to keep (default: all).")
@click.option("--start", default=None, help="Keep forecasts published at or after this ISO time.")
@click.option("--end", default=None, help="Keep forecasts published at or before this ISO time.")
def export_forecasts(
    csv_path: Path | None,
    model: str,
    time_zone: str,
    redis_url: str | None,
    namespace: str,
    output: Path,
    assets: str,
    start: str | None,
    end: str | None,
) -> None:
    """Write recorded forecasts as JSON lines for the algorithm's ``recorded`` source."""
    keep = ExportFilter(
        frozenset(a.strip().upper() for a in assets.split(",") if a.strip()),
        _timestamp(start),
        _timestamp(end),
    )
    report = ExportReport()
    try:
        if csv_path is not None:
            write_json_lines(
                forecasts_from_csv(csv_path, report, model=model, time_zone=time_zone),
                output,
                keep,
                report,
            )
        else:
            bus = open_bus(redis_url, namespace)
            try:
                write_json_lines(forecasts_from_stream(bus, report), output, keep, report)
            finally:
                bus.close()
    except (ValueError, TransportConnectionError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"wrote {report.written} forecasts to {output} ({report.skipped} skipped)")
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)


@lean.command("cloud-bridge")
@click.option(
    "--project-id",
    type=int,
    envvar="QC_PROJECT_ID",
    required=True,
    help="Cloud project running live.",
)
@bus_options
@click.option("--api-url", envvar="QC_API_URL", default=DEFAULT_BASE_URL, show_default=True)
@click.option(
    "--max-age-minutes",
    type=float,
    default=360.0,
    show_default=True,
    help="Forecasts and risk updates older than this are not forwarded.",
)
@click.option(
    "--group", default="lean-cloud-bridge", show_default=True, help="Consumer group name."
)
@click.option("--once", is_flag=True, help="Forward what is waiting, then exit.")
def cloud_bridge(
    project_id: int,
    redis_url: str | None,
    namespace: str,
    api_url: str,
    max_age_minutes: float,
    group: str,
    once: bool,
) -> None:
    """Forward forecast_updates, risk_updates and strategy_config to a live cloud algorithm.

    Credentials come from QC_USER_ID and QC_API_TOKEN. Each channel is read with a
    consumer group, so nothing is lost across restarts; a message is acknowledged only
    after QuantConnect accepted its command, and never sent twice.
    """
    try:
        credentials = QuantConnectCredentials.from_environment()
        config = CommandClientConfig(base_url=api_url)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    client = QuantConnectCommandClient(credentials, config)
    bridge = CloudBridge(
        client, project_id, lambda: datetime.now(UTC), timedelta(minutes=max_age_minutes)
    )
    bus = open_bus(redis_url, namespace)
    consumer_name = f"{os.uname().nodename}-{os.getpid()}"

    def forward(message: Message) -> None:
        bridge.forward(message)

    consumers = [
        GroupConsumer(
            bus,
            GroupConsumerConfig(channel=channel, group=group, consumer=consumer_name, block_ms=200),
            handler=forward,
        )
        for channel in BRIDGED_CHANNELS
    ]
    try:
        if once:
            for consumer in consumers:
                while consumer.run_once():
                    pass
        else:
            threads = [threading.Thread(target=c.run_forever, daemon=True) for c in consumers]
            for thread in threads:
                thread.start()
            click.echo(
                f"bridging {', '.join(BRIDGED_CHANNELS)} to project {project_id}; Ctrl-C to stop"
            )
            try:
                while any(thread.is_alive() for thread in threads):
                    for thread in threads:
                        thread.join(0.5)
            except KeyboardInterrupt:
                for consumer in consumers:
                    consumer.stop()
    except TransportConnectionError as error:
        raise click.ClickException(str(error)) from None
    finally:
        bus.close()
        client.close()
    counts = bridge.counts
    click.echo(
        f"forwarded {counts.forwarded}, duplicates {counts.duplicates}, too old {counts.too_old}"
    )
