"""Development settings: ``DEBUG`` on by default, everything else from the environment."""

from __future__ import annotations

from .base import *  # noqa: F403

DEBUG = environment_flag("DEBUG", default=True)  # noqa: F405
