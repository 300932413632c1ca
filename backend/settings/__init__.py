"""Django settings, split by concern.

``base`` gathers ``database``, ``cache``, ``rest``, ``tasks`` and ``logging``; choose an
environment with ``DJANGO_SETTINGS_MODULE``: ``development``, ``production`` or ``test``.
"""
