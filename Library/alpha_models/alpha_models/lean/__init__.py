"""LEAN adapters of alpha_models."""
