"""Prometheus metrics of the live-updates gateway, served by the backend's ``/metrics`` with its
HTTP series (their registry; the shared registry holds only the engines' metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from backend.common.monitoring.metrics import HTTP_REGISTRY
from engines.observability.metrics import LATENCY_BUCKETS_SECONDS

UPDATES_CONNECTIONS = Gauge(
    "ats_updates_connections",
    "Open WebSocket connections of the live-updates gateway.",
    multiprocess_mode="livesum",
    registry=HTTP_REGISTRY,
)
UPDATES_PUSHED = Counter(
    "ats_updates_messages_pushed",
    "Bus messages written to WebSocket clients, by channel (current values included).",
    ["channel"],
    registry=HTTP_REGISTRY,
)
UPDATES_DROPPED = Counter(
    "ats_updates_messages_dropped",
    "Frames dropped from a full connection queue (the client was told: lagged), by channel.",
    ["channel"],
    registry=HTTP_REGISTRY,
)
UPDATES_PUSH_LATENCY = Histogram(
    "ats_updates_push_latency_seconds",
    "Seconds from a live bus message's ts_init to its write to a WebSocket client.",
    buckets=LATENCY_BUCKETS_SECONDS,
    registry=HTTP_REGISTRY,
)
UPDATES_AUTH_REFUSED = Counter(
    "ats_updates_auth_refused",
    "Connections closed for authentication, by reason.",
    ["reason"],
    registry=HTTP_REGISTRY,
)
UPDATES_CLIENT_ERRORS = Counter(
    "ats_updates_client_errors",
    "Client messages answered with an error frame, by reason.",
    ["reason"],
    registry=HTTP_REGISTRY,
)
UPDATES_BUS_CONNECTED = Gauge(
    "ats_updates_bus_connected",
    "1 while the gateway's bus reader is subscribed and caught up, else 0.",
    multiprocess_mode="livemax",
    registry=HTTP_REGISTRY,
)
UPDATES_BUS_RECONNECTS = Counter(
    "ats_updates_bus_reconnects",
    "Times the gateway's bus reader lost its connection.",
    registry=HTTP_REGISTRY,
)
UPDATES_INVALID_MESSAGES = Counter(
    "ats_updates_invalid_messages",
    "Bus messages the gateway skipped because they failed the bus contract, by channel.",
    ["channel"],
    registry=HTTP_REGISTRY,
)
