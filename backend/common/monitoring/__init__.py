"""The backend's operational endpoints: ``/healthz`` and ``/metrics`` with its request metrics."""
