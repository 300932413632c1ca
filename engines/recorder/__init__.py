"""The stream recorder's engine: consumer groups per channel, batching, metrics, dead consumers.

Plain Python: what a batch becomes (the backend's database tables) is injected as a
:class:`~engines.recorder.runner.RecorderStore`; ``manage.py record_streams`` wires the
backend's store in.
"""
