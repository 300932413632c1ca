"""The recorder engine without Django: consumers, batching, metrics (in-memory bus)."""
