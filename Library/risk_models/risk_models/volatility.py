"""Market volatility: realized volatility, a cached GARCH(1,1) forecast, and their long-run ratio."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

PERCENT = 100.0
MIN_GARCH_OBSERVATIONS = 100


@dataclass(frozen=True)
class VolatilityEstimate:
    """Per-bar volatility figures (standard deviations of simple returns).

    Parameters
    ----------
    realized
        Standard deviation of the last ``volatility_window`` returns.
    forecast
        GARCH(1,1) one-bar-ahead forecast, or ``None`` when no fit is available.
    long_run
        Standard deviation over the last ``volatility_long_run_window`` returns.
    ratio
        ``current / long_run``, where ``current`` is the higher of the realized
        volatility and the forecast (a single GARCH forecast reacts mostly to the
        last return, realized volatility to the whole recent window).
    """

    realized: float
    forecast: float | None
    long_run: float
    ratio: float

    @property
    def current(self) -> float:
        """The volatility compared with the long-run average."""
        return self.realized if self.forecast is None else max(self.realized, self.forecast)


def realized_volatility(returns: ArrayLike, window: int) -> float | None:
    """Return the sample standard deviation of the last ``window`` returns, or ``None`` if too few."""
    values = _finite(returns)
    if window < 2 or values.size < window:
        return None
    return float(np.std(values[-window:], ddof=1))


class GarchVolatility:
    """GARCH(1,1) volatility forecasts with a fit cached between refits.

    Fitting (with ``arch``) is slow, so parameters are re-estimated at most every
    ``refit_seconds``; in between the cached parameters filter the newest returns
    with :func:`garch_variance_forecast`, which is cheap. Returns are scaled to
    percent for the optimizer.
    """

    def __init__(self) -> None:
        self._parameters: tuple[float, float, float] | None = None
        self._fitted_at: datetime | None = None

    @property
    def parameters(self) -> tuple[float, float, float] | None:
        """The cached ``(omega, alpha, beta)`` on percent returns."""
        return self._parameters

    @property
    def fitted_at(self) -> datetime | None:
        """When the cached parameters were estimated."""
        return self._fitted_at

    def refit_due(self, now: datetime, refit_seconds: float) -> bool:
        """Whether a forecast made at ``now`` fits the model again (never fitted, or too old)."""
        return (
            self._parameters is None
            or self._fitted_at is None
            or (now - self._fitted_at).total_seconds() >= refit_seconds
        )

    def forecast(self, returns: ArrayLike, *, now: datetime, refit_seconds: float) -> float | None:
        """Return the one-bar-ahead volatility forecast, or ``None`` if it cannot be made.

        Parameters
        ----------
        returns
            Simple returns, oldest first; at least :data:`MIN_GARCH_OBSERVATIONS`.
        now
            Current time, to decide whether to refit.
        refit_seconds
            Least time between fits.
        """
        values = _finite(returns)
        if values.size < MIN_GARCH_OBSERVATIONS or float(np.std(values)) == 0.0:
            return None
        scaled = values * PERCENT
        parameters = self._parameters
        if self.refit_due(now, refit_seconds) or parameters is None:
            # Start from the previous fit: the parameters move slowly, so the optimizer
            # converges in a few steps instead of searching from arch's defaults.
            parameters = _fit_garch(scaled, starting=parameters) or (
                _fit_garch(scaled) if parameters is not None else None
            )
            if parameters is None:
                return None
            self._parameters, self._fitted_at = parameters, now
        omega, alpha, beta = parameters
        variance = garch_variance_forecast(scaled, omega=omega, alpha=alpha, beta=beta)
        if not math.isfinite(variance) or variance < 0.0:
            return None
        return math.sqrt(variance) / PERCENT


def _fit_garch(
    scaled: np.ndarray[Any, np.dtype[np.float64]],
    starting: tuple[float, float, float] | None = None,
) -> tuple[float, float, float] | None:
    from arch import arch_model

    model = arch_model(scaled, mean="Zero", vol="GARCH", p=1, q=1, rescale=False)
    start = None if starting is None else np.asarray(starting, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = model.fit(disp="off", show_warning=False, starting_values=start)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if fitted.convergence_flag != 0:
        return None
    params = fitted.params
    return float(params["omega"]), float(params["alpha[1]"]), float(params["beta[1]"])


def garch_variance_forecast(
    returns: ArrayLike, *, omega: float, alpha: float, beta: float
) -> float:
    """Return the one-step-ahead GARCH(1,1) variance after filtering ``returns``.

    The recursion ``s2[t+1] = omega + alpha * r[t]**2 + beta * s2[t]`` starts from the
    sample variance of ``returns`` (its effect fades as ``beta**n``). Zero-mean model.
    """
    values = np.asarray(returns, dtype=np.float64)
    variance = float(np.mean(values**2))
    for value in values:
        variance = omega + alpha * float(value) ** 2 + beta * variance
    return variance


def estimate_volatility(
    returns: ArrayLike,
    *,
    window: int,
    long_run_window: int,
    now: datetime,
    refit_seconds: float,
    garch: GarchVolatility | None = None,
) -> VolatilityEstimate | None:
    """Compare current volatility with its long-run average.

    Needs at least ``2 * window`` returns; uses up to ``long_run_window`` of them for
    the long-run figure and the GARCH fit.

    Returns
    -------
    VolatilityEstimate or None
        ``None`` when there are too few returns or the long-run volatility is zero.
    """
    values = _finite(returns)[-long_run_window:]
    if values.size < 2 * window:
        return None
    realized = realized_volatility(values, window)
    long_run = float(np.std(values, ddof=1))
    if realized is None or long_run <= 0.0:
        return None
    forecast = (
        None if garch is None else garch.forecast(values, now=now, refit_seconds=refit_seconds)
    )
    current = realized if forecast is None else max(realized, forecast)
    return VolatilityEstimate(realized, forecast, long_run, current / long_run)


def _finite(returns: ArrayLike) -> np.ndarray[Any, np.dtype[np.float64]]:
    values: np.ndarray[Any, np.dtype[np.float64]] = np.asarray(returns, dtype=np.float64).ravel()
    finite: np.ndarray[Any, np.dtype[np.float64]] = values[np.isfinite(values)]
    return finite
