"""LEAN adapters of risk_models."""
