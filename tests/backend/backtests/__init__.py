"""Tests of the `backtests` app."""
