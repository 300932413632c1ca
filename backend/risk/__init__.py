"""Risk decisions, circuit-breaker state and audited re-arms."""
