"""Tests of the `audit` app."""
