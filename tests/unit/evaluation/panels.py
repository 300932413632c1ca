"""Synthetic daily panels whose truth is known, written as a LEAN data folder.

``panel(coefficient=...)``: every asset's next-bar log return is ``coefficient`` times
its latest return (a lag the features observe: ``return_1``) plus independent noise.
With a large coefficient the next bar is predictable; with 0 it is pure noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from market_data.lean import write_bars

SYMBOLS: tuple[str, ...] = ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF")
START = "2014-01-02"


def panel(
    *,
    coefficient: float,
    bars: int = 900,
    symbols: tuple[str, ...] = SYMBOLS,
    seed: int = 11,
    volatility: float = 0.01,
) -> dict[str, pd.DataFrame]:
    """Daily OHLCV bars per symbol (index: bar start, New York business days)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(START, periods=bars, name="time")
    frames: dict[str, pd.DataFrame] = {}
    for symbol in symbols:
        shocks = rng.normal(0.0, volatility, size=bars)
        log_returns = np.zeros(bars)
        for day in range(1, bars):
            log_returns[day] = coefficient * log_returns[day - 1] + shocks[day]
        close = 50.0 * np.exp(np.cumsum(log_returns))
        opening = np.concatenate([[close[0]], close[:-1]])
        spread = np.abs(rng.normal(0.0, 0.2 * volatility, size=bars))
        frames[symbol] = pd.DataFrame(
            {
                "open": opening,
                "high": np.maximum(opening, close) * (1.0 + spread),
                "low": np.minimum(opening, close) * (1.0 - spread),
                "close": close,
                "volume": rng.integers(10_000, 50_000, size=bars).astype(float),
            },
            index=days,
        )
    return frames


def write_panel(folder: Path, frames: dict[str, pd.DataFrame]) -> Path:
    """Write ``frames`` as US equity daily bars under ``folder``; return it."""
    for symbol, frame in frames.items():
        rounded = frame.copy()
        prices = ["open", "high", "low", "close"]
        rounded[prices] = rounded[prices].round(4)
        write_bars(
            folder, rounded, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )
    return folder
