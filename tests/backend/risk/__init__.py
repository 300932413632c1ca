"""Tests of the `risk` app."""
