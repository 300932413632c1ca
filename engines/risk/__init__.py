"""Application side of the risk engine: the long-running engine and the evaluation replay."""
