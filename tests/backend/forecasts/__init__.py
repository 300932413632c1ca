"""Tests of the `forecasts` app."""
