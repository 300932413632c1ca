"""LEAN-side parts of the signal bus: an inbox of the latest signals, a background
Redis listener that fills it, LEAN command parsing, and execution records."""
