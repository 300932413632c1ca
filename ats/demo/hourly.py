"""A generated hourly series, so the demo forecasts the 1h and 4h horizons too.

The bundled prices are daily, which only supports the 1d horizon. The demo therefore
generates hourly US-equity-shaped bars for a few clearly named synthetic tickers
(:data:`SYNTHETIC_SYMBOLS`). They are **not market data**: seeded random prices with
volatility clustering (a GARCH(1, 1) variance) and nothing predictable in their returns,
on the bundled stocks' real trading days (seven LEAN hour bars a day, 09:00 to 15:00
New York, early closes ignored), ending on the bundled data's last day so that every
series shares one time window on the dashboard. The same seed gives the same bars.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from market_data.lean import write_bars

SYNTHETIC_SYMBOLS: Final = ("SYNTHA", "SYNTHB")
"""Tickers of the generated series; no listed US stock trades under them."""

HOURLY_HORIZONS: Final = ("1h", "4h")
"""Horizons the demo forecasts on the generated hourly series."""

SESSION_HOURS: Final = tuple(range(9, 16))
"""Start hours of LEAN's US-equity hour bars (09:00 holds the 09:30-10:00 trading)."""


@dataclass(frozen=True)
class SyntheticHourlyConfig:
    """How the generated hourly series look.

    Parameters
    ----------
    symbols
        Tickers to generate.
    months
        Calendar months of bars, ending on the last trading day given.
    annual_volatility
        Long-run annualised volatility of the hourly returns.
    persistence, shock
        GARCH(1, 1) ``beta`` and ``alpha`` of the hourly variance (their sum below 1).
    start_price
        Close before the first bar.
    seed
        Random seed; each symbol draws from its own stream.
    """

    symbols: tuple[str, ...] = SYNTHETIC_SYMBOLS
    months: int = 12
    annual_volatility: float = 0.25
    persistence: float = 0.90
    shock: float = 0.07
    start_price: float = 50.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.symbols:
            raise ValueError("give at least one synthetic symbol")
        if self.months < 1:
            raise ValueError("months must be at least 1")
        if not self.annual_volatility > 0 or not self.start_price > 0:
            raise ValueError("annual_volatility and start_price must be positive")
        if self.persistence < 0 or self.shock < 0 or self.persistence + self.shock >= 1:
            raise ValueError("persistence and shock must be non-negative with a sum below 1")


def session_starts(trading_days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Start times of the hour bars of ``trading_days`` (naive New York time)."""
    days = pd.DatetimeIndex(trading_days).normalize().unique().sort_values()
    offsets = pd.to_timedelta(list(SESSION_HOURS), unit="h")
    starts = (days.to_numpy()[:, None] + offsets.to_numpy()[None, :]).ravel()
    return pd.DatetimeIndex(starts, name="time")


def generate_bars(
    starts: pd.DatetimeIndex, *, config: SyntheticHourlyConfig, stream: int
) -> pd.DataFrame:
    """Seeded hourly trade bars at ``starts``: ``open, high, low, close, volume``.

    Returns follow ``r_t = sigma_t z_t`` with Student-t (5 degrees of freedom, unit
    variance) shocks and ``sigma_t^2 = omega + shock r_{t-1}^2 + persistence sigma_{t-1}^2``,
    whose long-run level is ``annual_volatility`` over 252 × 7 hours. Each bar opens at
    the previous close; high and low reach a little beyond open and close.
    """
    rng = np.random.default_rng([config.seed, stream])
    count = len(starts)
    variance = config.annual_volatility**2 / (252 * len(SESSION_HOURS))
    omega = variance * (1.0 - config.persistence - config.shock)
    degrees = 5.0
    shocks = rng.standard_t(degrees, size=count) * np.sqrt((degrees - 2.0) / degrees)
    returns = np.empty(count)
    current = variance
    previous = 0.0
    for index in range(count):
        current = omega + config.shock * previous**2 + config.persistence * current
        previous = float(np.sqrt(current) * shocks[index])
        returns[index] = previous
    closes = config.start_price * np.exp(np.cumsum(returns))
    opens = np.concatenate([[config.start_price], closes[:-1]])
    reach = np.abs(rng.normal(0.0, 0.5, size=(2, count))) * np.sqrt(variance)
    highs = np.maximum(opens, closes) * np.exp(reach[0])
    lows = np.minimum(opens, closes) * np.exp(-reach[1])
    volumes = np.round(rng.lognormal(np.log(400_000.0), 0.4, size=count))
    return pd.DataFrame(
        {"open": opens, "high": highs, "low": lows, "close": closes, "volume": volumes},
        index=pd.DatetimeIndex(starts, name="time"),
    )


def write_synthetic_hourly(
    data_folder: Path,
    trading_days: pd.DatetimeIndex,
    *,
    config: SyntheticHourlyConfig | None = None,
    market: str = "usa",
) -> dict[str, int]:
    """Generate the hourly series on the last ``config.months`` of ``trading_days``; write them.

    The bars go into the LEAN data folder as ``equity/<market>/hour/<symbol>.zip``.
    Returns the number of bars written per symbol.
    """
    settings = config or SyntheticHourlyConfig()
    days = pd.DatetimeIndex(trading_days).normalize().unique().sort_values()
    if days.empty:
        raise ValueError("no trading days to generate hourly bars on")
    first = days[-1] - pd.DateOffset(months=settings.months)
    starts = session_starts(days[days > first])
    written: dict[str, int] = {}
    for stream, symbol in enumerate(settings.symbols):
        bars = generate_bars(starts, config=settings, stream=stream)
        write_bars(
            data_folder, bars, security_type="equity", market=market, symbol=symbol,
            resolution="hour",
        )  # fmt: skip
        written[symbol] = len(bars)
    return written
