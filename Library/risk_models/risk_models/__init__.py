"""Risk core: strategy parameters, sizing, risk rules, circuit breakers and the risk monitor.

Pure and LEAN-image safe: the standard library, numpy, pandas, scipy and arch only; time is
always passed in. LEAN adapters live in :mod:`risk_models.lean`.
"""
