"""Tests of the Django backend (real PostgreSQL and Redis)."""
