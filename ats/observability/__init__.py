"""Prometheus metrics shared by the engines, the stream recorder and the backend.

:mod:`ats.observability.metrics` defines every metric and the functions that update them;
:mod:`ats.observability.exporter` serves them over HTTP, alone or beside a multi-process
program (Celery prefork workers, gunicorn) through prometheus-client's multiprocess mode.
"""
