"""Market bars."""
