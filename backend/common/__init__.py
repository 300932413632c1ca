"""Shared pieces of the backend: permissions, pagination, errors, bus access, health."""
