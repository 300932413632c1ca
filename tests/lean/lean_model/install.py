"""Install the LEAN model as ``AlgorithmImports`` for code that imports LEAN's API.

LEAN cannot run in the test environment, so the adapters run against this model of the
framework objects they touch; ``test_model_matches_stubs`` checks every class, member
and parameter name against quantconnect-stubs so the model cannot drift from LEAN's
published API.
"""

from __future__ import annotations

import sys
from types import ModuleType

from tests.lean.lean_model import algorithm_imports

MODULE_NAME = "AlgorithmImports"


def install() -> ModuleType:
    """Register the model as ``AlgorithmImports`` in ``sys.modules`` and return it."""
    sys.modules[MODULE_NAME] = algorithm_imports
    return algorithm_imports


def uninstall() -> None:
    """Remove the model from ``sys.modules``."""
    if sys.modules.get(MODULE_NAME) is algorithm_imports:
        del sys.modules[MODULE_NAME]
