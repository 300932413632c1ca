"""Errors raised by the forecasting core."""

from __future__ import annotations


class ForecastingError(Exception):
    """Base class of the forecasting core's errors."""


class LookAheadError(ForecastingError):
    """Raised when data from after a forecast's time would reach that forecast."""


class InsufficientDataError(ForecastingError):
    """Raised when there are too few rows to fit a model or a calibrator."""


class RegistryError(ForecastingError):
    """Raised when a model version cannot be saved or loaded."""
