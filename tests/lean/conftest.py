"""LEAN adapter tests run against the framework fake, installed before any adapter import."""

from __future__ import annotations

from tests.lean import fake_lean

fake_lean.install()
