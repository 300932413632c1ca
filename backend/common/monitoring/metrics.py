"""Prometheus metrics of the backend: HTTP requests per view, and the ``/metrics`` view.

The view serves :func:`engines.observability.metrics.metrics_payload`, so under gunicorn with
``PROMETHEUS_MULTIPROC_DIR`` set it sums every worker's values (the request metrics
included: every process writes them to that folder). Without that folder the request
metrics, kept in their own registry apart from the shared engine metrics, are appended.
It only exposes counters and histograms (no data), needs no login, and is not part of the
API schema.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

# Seconds one request took, from 1 ms to the gunicorn timeout.
REQUEST_BUCKETS_SECONDS: tuple[float, ...] = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
)  # fmt: skip
# Label of requests no URL pattern matched (their paths would make unbounded label values).
UNMATCHED_VIEW = "unmatched"

HTTP_REGISTRY = CollectorRegistry()
HTTP_REQUESTS = Counter(
    "ats_http_requests",
    "HTTP requests answered by the backend, by view name, method and status code.",
    ["view", "method", "status"],
    registry=HTTP_REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "ats_http_request_duration_seconds",
    "Seconds the backend took to answer a request, by view name and method.",
    ["view", "method"],
    buckets=REQUEST_BUCKETS_SECONDS,
    registry=HTTP_REGISTRY,
)
KNOWN_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


def request_view_label(request: HttpRequest) -> str:
    """The URL pattern's name of a request (or its dotted view), ``unmatched`` when none."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_VIEW
    return str(match.view_name or match._func_path)


class RequestMetricsMiddleware:
    """Count every request and observe its duration, labelled by the view that answered it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in KNOWN_METHODS else "other"
        view = request_view_label(request)
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_REQUEST_DURATION.labels(view, method).observe(elapsed)
        return response


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Every ``ats_`` metric of this process (or of every worker) in Prometheus text format."""
    # Imported on first use: importing it creates the shared gauges, and with it their files
    # in the multiprocess folder, which a worker should not do before it serves anything.
    from engines.observability.metrics import MULTIPROCESS_FOLDER_VARIABLE, metrics_payload

    body, content_type = metrics_payload()
    if not os.environ.get(MULTIPROCESS_FOLDER_VARIABLE, "").strip():
        body += generate_latest(HTTP_REGISTRY)
    return HttpResponse(body, content_type=content_type)
