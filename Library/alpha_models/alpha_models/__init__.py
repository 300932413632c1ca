"""Forecasting core: bars to expected returns with a calibrated confidence.

Pure code that runs inside LEAN's image: it imports only the standard library,
numpy, pandas, scikit-learn, lightgbm and statsmodels, never reads the clock and
never imports LEAN, Django or redis. LEAN adapters live in ``alpha_models.lean``.
"""
