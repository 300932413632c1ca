"""LEAN-side tooling: forecast exports for backtests and the QuantConnect cloud bridge."""
