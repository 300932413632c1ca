"""Security regression tests of the backend (issue 20): real PostgreSQL and Redis."""
