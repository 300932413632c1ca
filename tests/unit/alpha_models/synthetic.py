"""Synthetic bars in the shape the market-data readers return."""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_walk_bars(
    symbols: tuple[str, ...] = ("AAA", "BBB", "CCC"),
    *,
    days: int = 600,
    start: str = "2015-01-02",
    seed: int = 7,
    momentum: float = 0.0,
) -> dict[str, pd.DataFrame]:
    """Return daily bars per symbol: index ``time``, OHLCV and ``end_time``.

    ``momentum`` adds that share of yesterday's return to today's, giving the
    models something real to find.
    """
    generator = np.random.default_rng(seed)
    times = pd.bdate_range(start, periods=days, name="time")
    frames = {}
    for symbol in symbols:
        noise = generator.normal(0.0, 0.01, size=days)
        returns = np.empty(days)
        previous = 0.0
        for position in range(days):
            previous = momentum * previous + noise[position]
            returns[position] = previous
        close = 100.0 * np.exp(np.cumsum(returns))
        open_ = close * np.exp(generator.normal(0.0, 0.002, size=days))
        high = np.maximum(open_, close) * (1 + np.abs(generator.normal(0.0, 0.003, size=days)))
        low = np.minimum(open_, close) * (1 - np.abs(generator.normal(0.0, 0.003, size=days)))
        volume = generator.integers(1_000, 100_000, size=days).astype(float)
        frames[symbol] = pd.DataFrame(
            {
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "volume": volume,
                "end_time": times + pd.Timedelta(hours=16),
            },
            index=times,
        )
    return frames


def hourly_bars(
    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT"), *, hours: int = 2400, seed: int = 3
) -> dict[str, pd.DataFrame]:
    """Return round-the-clock hourly bars (crypto-like: UTC, no gaps)."""
    daily = random_walk_bars(symbols, days=hours, seed=seed, momentum=0.2)
    times = pd.date_range("2021-01-01", periods=hours, freq="h", name="time")
    frames = {}
    for symbol, frame in daily.items():
        hourly = frame.drop(columns=["end_time"]).set_axis(times)
        hourly["end_time"] = times + pd.Timedelta(hours=1)
        frames[symbol] = hourly
    return frames
