"""Tests of cross-cutting pieces: admin, OpenAPI schema, /metrics, storage design, TimescaleDB."""
