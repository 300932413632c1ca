"""Backtest runs imported from LEAN result files."""
