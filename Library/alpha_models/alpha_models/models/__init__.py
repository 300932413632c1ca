"""Forecast models behind one small interface (``fit`` / ``predict``)."""

from alpha_models.models.base import ForecastModel
from alpha_models.models.factory import MODEL_KINDS, load_model, make_model

__all__ = ["MODEL_KINDS", "ForecastModel", "load_model", "make_model"]
