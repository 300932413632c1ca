"""Strategy configuration and its append-only change history."""
