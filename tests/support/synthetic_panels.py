"""Synthetic daily bar panels with a planted, known next-bar signal.

The market each panel simulates, per business day ``t`` and asset ``i``:

- a common market factor ``f_t`` whose variance follows a GARCH(1,1) recursion;
- an idiosyncratic shock ``e_it`` with its own GARCH(1,1) variance per asset
  (volatility clustering), loaded with a market beta ``b_i`` drawn around 1;
- optionally one calendar year of the panel in which every volatility (market and
  idiosyncratic) is ``volatile_multiplier`` times larger (a high-volatility regime);
- a latent ``s_it`` per asset (AR(1), unit variance) that is visible in the bar of ``t``
  through its volume: ``log volume = level_i + volume_loading * s_it + noise`` (the
  volume z-score feature sees it), and that drives the next bar's return:
  ``E[r_i,t+1 | bars up to t] = signal_strength * sigma_i,t+1 * s_it``, where
  ``sigma_i,t+1`` is the idiosyncratic volatility of the next bar, known at ``t``.

The next close-to-close simple return is ``r_i,t+1 = b_i f_t+1 + mu_it + e_i,t+1``; the
planted expected return ``mu_it`` has the same information ratio in calm and volatile
times (it scales with the asset's volatility), as a real edge would. ``signal_strength=0``
is the pure-noise setting: the latent still moves the volumes, the returns ignore it.

:class:`SyntheticPanel` carries the truth: the planted expected return and the realized
next return of every (bar, asset), from which :meth:`SyntheticPanel.attainable_rank_ic`
computes the per-date cross-sectional rank IC a perfect forecaster would reach. The
helpers :func:`per_date_rank_ic` and :func:`pooled_ic` score a forecast table the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

TRADING_DAYS = 252


@dataclass(frozen=True)
class PanelSpec:
    """How a synthetic panel is generated.

    Parameters
    ----------
    assets
        Number of assets (named ``A000``, ``A001``, ...).
    years
        Length in years of 252 business days.
    start
        First bar's date.
    seed
        Random seed; the same spec gives the same panel.
    signal_strength
        Planted expected next return per unit of latent, in units of the asset's
        idiosyncratic volatility (0: pure noise).
    signal_persistence
        AR(1) coefficient of the latent from bar to bar.
    volume_loading
        How strongly the latent moves log volume (the noise in log volume has sd 1).
    market_volatility, idiosyncratic_volatility
        Long-run daily volatilities of the market factor and the idiosyncratic shocks.
    garch_alpha, garch_beta
        GARCH(1,1) reaction and persistence of every variance.
    volatile_year
        Index (0 = first) of the year with the high-volatility regime; ``None`` for none.
    volatile_multiplier
        Volatility multiple during that year.
    """

    assets: int = 50
    years: float = 12.0
    start: str = "2006-01-02"
    seed: int = 0
    signal_strength: float = 0.12
    signal_persistence: float = 0.6
    volume_loading: float = 1.5
    market_volatility: float = 0.01
    idiosyncratic_volatility: float = 0.015
    garch_alpha: float = 0.08
    garch_beta: float = 0.9
    volatile_year: int | None = None
    volatile_multiplier: float = 4.0

    def __post_init__(self) -> None:
        if self.assets < 1 or self.years <= 0:
            raise ValueError("assets must be >= 1 and years positive")
        if not 0.0 <= self.signal_persistence < 1.0:
            raise ValueError("signal_persistence must be in [0, 1)")
        if self.garch_alpha < 0 or self.garch_beta < 0 or self.garch_alpha + self.garch_beta >= 1:
            raise ValueError("GARCH needs alpha, beta >= 0 and alpha + beta < 1")
        if self.volatile_year is not None and not 0 <= self.volatile_year < self.years:
            raise ValueError("volatile_year must be a year of the panel")
        if self.volatile_multiplier <= 0:
            raise ValueError("volatile_multiplier must be positive")

    @property
    def days(self) -> int:
        """Return the number of bars."""
        return int(round(self.years * TRADING_DAYS))


@dataclass(frozen=True)
class SyntheticPanel:
    """A generated panel and its truth.

    Attributes
    ----------
    frames
        Symbol to daily bars (index ``time``; ``open, high, low, close, volume, end_time``),
        the input of ``BarPanel.from_frames``.
    expected_return
        Wide frame (bar time x symbol): the planted expected return of the next bar,
        known at the bar's close; NaN on the last bar.
    next_return
        Wide frame: the realized next close-to-close simple return; NaN on the last bar.
    volatility
        Wide frame: each asset's true total daily volatility of the next bar.
    volatile_period
        First and last bar time of the high-volatility year, if the panel has one.
    spec
        The settings it was generated with.
    """

    frames: dict[str, pd.DataFrame]
    expected_return: pd.DataFrame
    next_return: pd.DataFrame
    volatility: pd.DataFrame
    volatile_period: tuple[pd.Timestamp, pd.Timestamp] | None
    spec: PanelSpec

    def attainable_rank_ic_by_date(self) -> pd.Series:
        """Per bar: rank correlation across assets of the planted and realized next returns."""
        return _rank_ic_rows(self.expected_return, self.next_return)

    def attainable_rank_ic(self, times: pd.Index | None = None) -> float:
        """Return the mean per-date rank IC of the truth, over ``times`` (default all)."""
        series = self.attainable_rank_ic_by_date()
        if times is not None:
            series = series.reindex(pd.DatetimeIndex(times).unique()).dropna()
        return float(series.mean())


def _garch_paths(
    generator: np.random.Generator,
    days: int,
    width: int,
    volatility: float,
    alpha: float,
    beta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return unit-scale shocks and their conditional volatilities, both (days, width).

    ``volatility[t]`` depends on shocks up to ``t - 1`` only.
    """
    variance = volatility**2
    omega = variance * (1.0 - alpha - beta)
    standard = generator.standard_normal((days, width))
    sigma = np.empty((days, width))
    shocks = np.empty((days, width))
    current = np.full(width, variance)
    for day in range(days):
        sigma[day] = np.sqrt(current)
        shocks[day] = sigma[day] * standard[day]
        current = omega + alpha * shocks[day] ** 2 + beta * current
    return shocks, sigma


def generate_panel(spec: PanelSpec) -> SyntheticPanel:
    """Simulate the panel described by ``spec`` (see the module docstring)."""
    generator = np.random.default_rng(spec.seed)
    days, width = spec.days, spec.assets
    times = pd.bdate_range(spec.start, periods=days, name="time")
    symbols = [f"A{position:03d}" for position in range(width)]

    regime = np.ones(days)
    volatile_period = None
    if spec.volatile_year is not None:
        first = spec.volatile_year * TRADING_DAYS
        last = min(days, first + TRADING_DAYS) - 1
        regime[first : last + 1] = spec.volatile_multiplier
        volatile_period = (times[first], times[last])

    market_shock, market_sigma = _garch_paths(
        generator, days, 1, spec.market_volatility, spec.garch_alpha, spec.garch_beta
    )
    idiosyncratic_shock, idiosyncratic_sigma = _garch_paths(
        generator, days, width, spec.idiosyncratic_volatility, spec.garch_alpha, spec.garch_beta
    )
    beta = generator.uniform(0.6, 1.4, size=width)
    factor = regime[:, np.newaxis] * market_shock
    shock = regime[:, np.newaxis] * idiosyncratic_shock
    sigma = regime[:, np.newaxis] * idiosyncratic_sigma

    innovation = generator.standard_normal((days, width))
    latent = np.empty((days, width))
    latent[0] = innovation[0]
    scale = np.sqrt(1.0 - spec.signal_persistence**2)
    for day in range(1, days):
        latent[day] = spec.signal_persistence * latent[day - 1] + scale * innovation[day]

    # expected[t] is the planted mean of the return from close t to close t + 1
    expected = np.full((days, width), np.nan)
    expected[:-1] = spec.signal_strength * sigma[1:] * latent[:-1]
    returns = factor * beta + shock
    returns[1:] += expected[:-1]
    returns[0] = 0.0
    returns = np.maximum(returns, -0.9)
    close = 100.0 * np.cumprod(1.0 + returns, axis=0)
    next_return = np.full((days, width), np.nan)
    next_return[:-1] = close[1:] / close[:-1] - 1.0
    total_volatility = np.full((days, width), np.nan)
    total_volatility[:-1] = np.sqrt(
        (beta * regime[1:, np.newaxis] * market_sigma[1:]) ** 2 + sigma[1:] ** 2
    )

    previous = np.vstack([close[:1], close[:-1]])
    gap = 0.3 * (close / previous - 1.0) + 0.2 * sigma * generator.standard_normal((days, width))
    open_ = previous * (1.0 + gap)
    reach = 0.5 * sigma * np.abs(generator.standard_normal((2, days, width)))
    high = np.maximum(open_, close) * (1.0 + reach[0])
    low = np.minimum(open_, close) * (1.0 - reach[1])
    level = generator.uniform(10.0, 14.0, size=width)
    log_volume = level + spec.volume_loading * latent + generator.standard_normal((days, width))
    volume = np.round(np.exp(log_volume))

    end_time = times + pd.Timedelta(hours=16)
    frames = {
        symbol: pd.DataFrame(
            {
                "open": open_[:, column],
                "high": high[:, column],
                "low": low[:, column],
                "close": close[:, column],
                "volume": volume[:, column],
                "end_time": end_time,
            },
            index=times,
        )
        for column, symbol in enumerate(symbols)
    }
    return SyntheticPanel(
        frames=frames,
        expected_return=pd.DataFrame(expected, index=times, columns=symbols),
        next_return=pd.DataFrame(next_return, index=times, columns=symbols),
        volatility=pd.DataFrame(total_volatility, index=times, columns=symbols),
        volatile_period=volatile_period,
        spec=spec,
    )


def calm_panel(**overrides: object) -> SyntheticPanel:
    """The calm panel of the target evidence: 50 assets, 12 years, planted signal."""
    return generate_panel(PanelSpec(**overrides))  # type: ignore[arg-type]


def volatile_panel(**overrides: object) -> SyntheticPanel:
    """The calm panel's market with its seventh year four times as volatile."""
    settings: dict[str, object] = {"volatile_year": 6, "volatile_multiplier": 4.0}
    settings.update(overrides)
    return generate_panel(PanelSpec(**settings))  # type: ignore[arg-type]


def noise_panel(**overrides: object) -> SyntheticPanel:
    """The calm panel's market with no signal: returns ignore the latent."""
    settings: dict[str, object] = {"signal_strength": 0.0}
    settings.update(overrides)
    return generate_panel(PanelSpec(**settings))  # type: ignore[arg-type]


def _rank_ic_rows(left: pd.DataFrame, right: pd.DataFrame) -> pd.Series:
    """Per row of two aligned wide frames: Spearman correlation over the columns both know."""
    a = left.to_numpy(dtype=np.float64)
    b = right.reindex(index=left.index, columns=left.columns).to_numpy(dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    a = np.where(both, a, np.nan)
    b = np.where(both, b, np.nan)
    count = both.sum(axis=1)
    safe = np.maximum(count, 1)[:, np.newaxis]
    rank_a = np.where(both, rankdata(a, axis=1, nan_policy="omit"), 0.0)
    rank_b = np.where(both, rankdata(b, axis=1, nan_policy="omit"), 0.0)
    rank_a = np.where(both, rank_a - rank_a.sum(axis=1, keepdims=True) / safe, 0.0)
    rank_b = np.where(both, rank_b - rank_b.sum(axis=1, keepdims=True) / safe, 0.0)
    numerator = (rank_a * rank_b).sum(axis=1)
    denominator = np.sqrt((rank_a**2).sum(axis=1) * (rank_b**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where((count >= 3) & (denominator > 0), numerator / denominator, np.nan)
    return pd.Series(value, index=left.index).dropna()


def _wide(forecasts: pd.DataFrame, column: str) -> pd.DataFrame:
    return forecasts.pivot_table(index="bar_time", columns="symbol", values=column, aggfunc="first")


def per_date_rank_ic(forecasts: pd.DataFrame) -> pd.Series:
    """Per bar: rank correlation across symbols of ``prediction`` and ``forward_return``.

    ``forecasts`` is a walk-forward table (``bar_time, symbol, prediction,
    forward_return``); dates with fewer than three scored symbols are left out. The
    index is the bar time, as in :meth:`SyntheticPanel.attainable_rank_ic_by_date`.
    """
    scored = forecasts.dropna(subset=["prediction", "forward_return"])
    return _rank_ic_rows(_wide(scored, "prediction"), _wide(scored, "forward_return"))


def pooled_ic(forecasts: pd.DataFrame) -> float:
    """Pearson correlation of ``prediction`` and ``forward_return`` over every scored row."""
    scored = forecasts.dropna(subset=["prediction", "forward_return"])
    return float(np.corrcoef(scored["prediction"], scored["forward_return"])[0, 1])
