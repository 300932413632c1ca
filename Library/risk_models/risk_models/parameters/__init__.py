"""Strategy parameters: the schema of every runtime-tunable key and validated value sets.

Standard library only, so the backend, the engines and LEAN all import it.
"""

from risk_models.parameters.schema import (
    PARAMETER_SPECS,
    CrossFieldError,
    ParameterError,
    ParameterSpec,
    ParameterValue,
    validate,
)
from risk_models.parameters.values import StrategyParameters

__all__ = [
    "PARAMETER_SPECS",
    "CrossFieldError",
    "ParameterError",
    "ParameterSpec",
    "ParameterValue",
    "StrategyParameters",
    "validate",
]
