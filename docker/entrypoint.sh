#!/bin/sh
# Container entrypoint: prepare the metrics folder, start the metrics exporter when
# METRICS_EXPORTER_PORT is set, then replace this shell with the service's command.
#
# Every process of the service (Celery prefork children, gunicorn workers) writes its
# metrics to PROMETHEUS_MULTIPROC_DIR; the exporter serves their sum on METRICS_EXPORTER_PORT.
# (METRICS_PORT is different: a single-process engine such as `ats risk run` serves its own
# /metrics there, without the exporter.)
set -eu

if [ -n "${METRICS_EXPORTER_PORT:-}" ] && [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    PROMETHEUS_MULTIPROC_DIR=/tmp/ats-metrics
    export PROMETHEUS_MULTIPROC_DIR
fi

if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    case "${PROMETHEUS_MULTIPROC_DIR}" in
        /|/app|/app/*|/home/*)
            echo "entrypoint: PROMETHEUS_MULTIPROC_DIR must be a scratch folder such as /tmp/ats-metrics" >&2
            exit 64
            ;;
    esac
    # Values left by a previous run of this container would be added to the new ones.
    rm -rf "${PROMETHEUS_MULTIPROC_DIR}"
    mkdir -p "${PROMETHEUS_MULTIPROC_DIR}"
fi

if [ -n "${METRICS_EXPORTER_PORT:-}" ]; then
    python -m engines.observability.exporter --port "${METRICS_EXPORTER_PORT}" &
fi

if [ "$#" -eq 0 ]; then
    echo "entrypoint: no command given" >&2
    exit 64
fi

exec "$@"
