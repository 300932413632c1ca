"""Orders, fills and portfolio snapshots, with lineage to forecasts."""
