"""Tests of the `market` app."""
