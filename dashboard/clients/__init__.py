"""Clients of the systems the dashboard reads: the backend's REST API."""
