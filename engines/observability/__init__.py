"""Prometheus metrics shared by the engines, the stream recorder and the backend.

:mod:`engines.observability.metrics` defines every metric and the functions that update them;
:mod:`engines.observability.exporter` serves them over HTTP, alone or beside a multi-process
program (Celery prefork workers, gunicorn) through prometheus-client's multiprocess mode.
"""
