"""Forecasts, the signals derived from them and model versions."""
