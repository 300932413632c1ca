"""Live push: the WebSocket gateway ``/ws/updates/`` on the signal bus (issue 19).

One reader per process follows the bus (:mod:`.fanout`) and hands every message to the
connections subscribed to it (:mod:`.consumer`), each through its own bounded queue
(:mod:`.outbox`). The wire contract is in :mod:`.protocol` and ``backend/README.md``.
"""
