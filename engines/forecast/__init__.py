"""Application side of the forecast engine: loading bars, evaluation, the engine loop."""
