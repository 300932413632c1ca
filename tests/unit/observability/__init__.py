"""Metrics shared by the engines."""
