"""Django settings, split by concern: ``base`` (from the environment), ``test``, ``production``."""
