"""What every app of the backend shares, one concern per module; nothing here computes.

``exceptions`` (the error services raise), ``validation`` (storable text, time range),
``limits`` (column lengths of stored messages), ``messages`` (request documents decoded with
the bus contracts), ``roles``, ``bus`` (the signal bus), ``timescale`` (hypertable migration
operation); ``api/`` the REST framework's plumbing; ``monitoring/`` ``/healthz`` and ``/metrics``.
Performance maths lives in ``engines.evaluation``.
"""
