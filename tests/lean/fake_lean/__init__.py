"""A stand-in for LEAN's ``AlgorithmImports`` used by the LEAN adapter tests.

LEAN cannot run in the test environment, so the adapters are exercised against this
small re-implementation of the framework objects they touch. ``test_fake_matches_stubs``
checks every class, member and parameter name here against quantconnect-stubs so the
fake cannot drift from LEAN's published API.
"""

from __future__ import annotations

import sys
from types import ModuleType

from tests.lean.fake_lean import algorithm_imports

MODULE_NAME = "AlgorithmImports"


def install() -> ModuleType:
    """Register the fake as ``AlgorithmImports`` in ``sys.modules`` and return it."""
    sys.modules[MODULE_NAME] = algorithm_imports
    return algorithm_imports


def uninstall() -> None:
    """Remove the fake from ``sys.modules``."""
    if sys.modules.get(MODULE_NAME) is algorithm_imports:
        del sys.modules[MODULE_NAME]
