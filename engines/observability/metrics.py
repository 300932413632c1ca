"""Metric definitions shared by the engines, and the functions that update them.

Every metric name starts with ``ats_``. Label values are short, fixed vocabularies
(component, channel, consumer group, horizon, risk state), never ids, so the number of
series stays small.

When ``PROMETHEUS_MULTIPROC_DIR`` is set before this module is first imported,
prometheus-client writes the values to files in that folder so one exporter can serve
every process of a Celery prefork worker or a gunicorn server; gauges then keep the most
recently written value.
"""

from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.multiprocess import MultiProcessCollector

from risk_models.states import RiskState

METRIC_PREFIX = "ats_"
MULTIPROCESS_FOLDER_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

# Seconds from a message's publication to its handling: sub-millisecond on one host up to
# the half-minute a reconnecting consumer may need.
LATENCY_BUCKETS_SECONDS: tuple[float, ...] = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)
# Seconds for one forecast cycle over every asset of a horizon.
CYCLE_BUCKETS_SECONDS: tuple[float, ...] = (
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
)

MESSAGES_PROCESSED = Counter(
    "ats_messages_processed",
    "Bus messages handled successfully, by consuming component and channel.",
    ["component", "channel"],
)
DEAD_LETTERS = Counter(
    "ats_dead_letters",
    "Bus messages that failed validation and went to the channel's dead-letter stream.",
    ["component", "channel"],
)
CONSUMER_LAG = Gauge(
    "ats_consumer_lag_messages",
    "Stream entries not yet delivered to the consumer group (Redis XINFO GROUPS lag).",
    ["component", "channel", "group"],
    multiprocess_mode="mostrecent",
)
PUBLISH_TO_CONSUME_LATENCY = Histogram(
    "ats_publish_to_consume_latency_seconds",
    "Seconds from a message's ts_init (publication) to its handling by the consumer.",
    ["component", "channel"],
    buckets=LATENCY_BUCKETS_SECONDS,
)
FORECAST_CYCLE = Histogram(
    "ats_forecast_cycle_seconds",
    "Seconds one forecast cycle took, from loading bars to publishing the last forecast.",
    ["horizon"],
    buckets=CYCLE_BUCKETS_SECONDS,
)
FORECAST_CYCLE_ASSETS = Gauge(
    "ats_forecast_cycle_assets",
    "Assets forecast in the most recent cycle of a horizon.",
    ["horizon"],
    multiprocess_mode="mostrecent",
)
FORECAST_LAST_CYCLE_TIMESTAMP = Gauge(
    "ats_forecast_last_cycle_timestamp_seconds",
    "Unix time at which the most recent forecast cycle of a horizon finished.",
    ["horizon"],
    multiprocess_mode="mostrecent",
)
RISK_FACTOR = Gauge(
    "ats_risk_factor",
    "Current risk factor published by the risk engine (0 flat .. 1 full size).",
    multiprocess_mode="mostrecent",
)
RISK_STATE = Gauge(
    "ats_risk_state",
    "Current risk state: 1 for the state in force, 0 for the others.",
    ["state"],
    multiprocess_mode="mostrecent",
)

RISK_STATES: tuple[str, ...] = tuple(state.value for state in RiskState)

# The exposition names of every series above (counters gain ``_total``, histograms
# ``_bucket``/``_sum``/``_count``); dashboards and alert rules may use only these.
METRIC_NAMES: frozenset[str] = frozenset(
    {
        "ats_messages_processed_total",
        "ats_dead_letters_total",
        "ats_consumer_lag_messages",
        "ats_publish_to_consume_latency_seconds_bucket",
        "ats_publish_to_consume_latency_seconds_sum",
        "ats_publish_to_consume_latency_seconds_count",
        "ats_forecast_cycle_seconds_bucket",
        "ats_forecast_cycle_seconds_sum",
        "ats_forecast_cycle_seconds_count",
        "ats_forecast_cycle_assets",
        "ats_forecast_last_cycle_timestamp_seconds",
        "ats_risk_factor",
        "ats_risk_state",
    }
)


def _require_label(name: str, value: str) -> str:
    if not value or not value.strip():
        raise ValueError(f"{name} must be a non-empty label value")
    return value


def _require_count(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"count must be a non-negative integer, got {count!r}")
    return count


def _require_aware(name: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")
    return moment


def messages_processed_add(*, component: str, channel: str, count: int = 1) -> None:
    """Count ``count`` messages of ``channel`` handled by ``component``."""
    MESSAGES_PROCESSED.labels(
        _require_label("component", component), _require_label("channel", channel)
    ).inc(_require_count(count))


def dead_letters_add(*, component: str, channel: str, count: int = 1) -> None:
    """Count ``count`` messages of ``channel`` that ``component`` sent to dead letters."""
    DEAD_LETTERS.labels(
        _require_label("component", component), _require_label("channel", channel)
    ).inc(_require_count(count))


def consumer_lag_set(*, component: str, channel: str, group: str, lag: int) -> None:
    """Record how many stream entries ``group`` has not been delivered yet."""
    CONSUMER_LAG.labels(
        _require_label("component", component),
        _require_label("channel", channel),
        _require_label("group", group),
    ).set(_require_count(lag))


def publish_to_consume_latency_observe(
    *, component: str, channel: str, published_at: datetime, consumed_at: datetime
) -> float:
    """Observe the delay between a message's publication and its handling.

    Parameters
    ----------
    component, channel
        Label values: who consumed the message, and from which channel.
    published_at
        The message's ``ts_init`` (timezone-aware).
    consumed_at
        When the consumer handled it (timezone-aware), passed in by the caller.

    Returns
    -------
    float
        The observed latency in seconds; clock skew that would make it negative counts as 0.
    """
    published = _require_aware("published_at", published_at)
    consumed = _require_aware("consumed_at", consumed_at)
    seconds = max(0.0, (consumed - published).total_seconds())
    PUBLISH_TO_CONSUME_LATENCY.labels(
        _require_label("component", component), _require_label("channel", channel)
    ).observe(seconds)
    return seconds


def forecast_cycle_observe(
    *, horizon: str, duration_seconds: float, asset_count: int, finished_at: datetime
) -> None:
    """Record one finished forecast cycle of ``horizon``."""
    if not duration_seconds >= 0.0:
        raise ValueError(f"duration_seconds must be >= 0, got {duration_seconds!r}")
    finished = _require_aware("finished_at", finished_at)
    label = _require_label("horizon", horizon)
    FORECAST_CYCLE.labels(label).observe(duration_seconds)
    FORECAST_CYCLE_ASSETS.labels(label).set(_require_count(asset_count))
    FORECAST_LAST_CYCLE_TIMESTAMP.labels(label).set(finished.timestamp())


def risk_factor_set(risk_factor: float) -> None:
    """Record the risk factor in force; it must lie in [0, 1]."""
    if not 0.0 <= risk_factor <= 1.0:
        raise ValueError(f"risk_factor must lie in [0, 1], got {risk_factor!r}")
    RISK_FACTOR.set(risk_factor)


def risk_state_set(state: str) -> None:
    """Mark ``state`` (``active``, ``reducing`` or ``halted``) as the one in force."""
    if state not in RISK_STATES:
        raise ValueError(f"unknown risk state {state!r}; expected one of {', '.join(RISK_STATES)}")
    for candidate in RISK_STATES:
        RISK_STATE.labels(candidate).set(1.0 if candidate == state else 0.0)


def risk_decision_record(*, risk_factor: float, state: str) -> None:
    """Record a risk decision's factor and state together; nothing changes if either is invalid."""
    if not 0.0 <= risk_factor <= 1.0:
        raise ValueError(f"risk_factor must lie in [0, 1], got {risk_factor!r}")
    if state not in RISK_STATES:
        raise ValueError(f"unknown risk state {state!r}; expected one of {', '.join(RISK_STATES)}")
    risk_factor_set(risk_factor)
    risk_state_set(state)


def metrics_registry() -> CollectorRegistry:
    """Return the registry to expose: every process's values in multiprocess mode, else this one's."""
    folder = os.environ.get(MULTIPROCESS_FOLDER_VARIABLE, "").strip()
    if not folder:
        return REGISTRY
    if not os.path.isdir(folder):
        raise ValueError(f"{MULTIPROCESS_FOLDER_VARIABLE}={folder!r} is not an existing folder")
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    return registry


def metrics_payload() -> tuple[bytes, str]:
    """Render the metrics in Prometheus text format, for a ``/metrics`` view.

    Returns
    -------
    tuple of bytes and str
        The body and its ``Content-Type``.
    """
    return generate_latest(metrics_registry()), CONTENT_TYPE_LATEST


def start_metrics_server(port: int, address: str = "0.0.0.0") -> int:
    """Serve ``/metrics`` on ``address:port`` from a daemon thread.

    Parameters
    ----------
    port
        TCP port, 1..65535; 0 picks a free one.
    address
        Interface to bind; ``0.0.0.0`` inside a container so Prometheus can reach it.

    Returns
    -------
    int
        The port actually bound.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer in 0..65535, got {port!r}")
    server, _thread = start_http_server(port, addr=address, registry=metrics_registry())
    return int(server.server_port)
