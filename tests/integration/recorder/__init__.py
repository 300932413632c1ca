"""The recorder engine without Django on the real Redis server."""
