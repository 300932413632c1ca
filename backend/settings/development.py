"""Settings for a developer's machine: everything from the environment, ``DEBUG`` only if asked.

Set ``DEBUG=1`` to get Django's debug pages and static files served by ``runserver``.
"""

from __future__ import annotations

from .base import *  # noqa: F403
