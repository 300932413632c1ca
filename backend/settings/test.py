"""Settings for the test suite: the real PostgreSQL on this machine."""

from .base import *  # noqa: F403
