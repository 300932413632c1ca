"""Tests of the `strategy` app."""
