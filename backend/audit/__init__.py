"""Hash-chained, tamper-evident audit trail."""
