"""Settings for a developer's machine: everything from the environment, ``DEBUG`` only if asked.

Set ``DEBUG=1`` to get Django's debug pages and static files served by ``runserver``.
Without ``SECRET_KEY`` in the environment, a random key is generated once per installation.
"""

from __future__ import annotations

from .base import *  # noqa: F403
from .keys import local_secret

# The environment's key, else one generated for this installation and kept in a local file
# git ignores (``.local/secrets.json``; ``ATS_LOCAL_SECRETS_FILE`` moves it).
SECRET_KEY = local_secret("SECRET_KEY")
AUDIT_CHAIN_KEYS = {**AUDIT_CHAIN_KEYS, AUDIT_CHAIN_KEY_ID: local_secret("AUDIT_CHAIN_KEY")}  # noqa: F405
