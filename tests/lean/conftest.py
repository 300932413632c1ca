"""LEAN adapter tests run against the framework fake, installed before any adapter import."""

from __future__ import annotations

from tests.lean.lean_model import install as lean_model

lean_model.install()
