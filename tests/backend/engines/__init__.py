"""Tests of the `engines` app."""
