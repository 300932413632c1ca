"""Tests of the `execution` app."""
