"""Promotion gates: has a model shown an edge out of sample, beyond chance?

A model's *record* is its out-of-sample forecasts whose outcome is known: per row the
time it was made, the asset, the prediction, the calibrated confidence, the realized
return over the horizon and the next bar's return (what the sizing rule earns holding
the position for one bar). :func:`evaluate_gates` runs every gate on a record:

``evidence``
    at least ``min_dates`` resolved forecast dates (the record is cut to its most
    recent ``window_dates`` dates first);
``ic_t``
    pooled rank information coefficient divided by its standard error from a moving
    block bootstrap over dates (every row of a date moves together, blocks keep the
    serial dependence), at least ``min_ic_t``;
``ece``
    expected calibration error of the confidence, at most ``max_ece``;
``deflated_sharpe``
    the Deflated Sharpe Ratio (Bailey & López de Prado, 2014) of the sizing rule's
    after-cost returns: the probability that their Sharpe ratio beats the best of
    ``trials`` skill-less configurations (the models and entry thresholds tried), at
    least ``min_deflated_sharpe``. Staying flat has a Sharpe ratio of 0, so passing
    means the rule beats staying flat after costs and after the search.

:func:`shadow_gate` scores the forecasts a version published while in shadow, and
:func:`challenger_gate` compares a challenger with the champion on the same rows.
Pure numpy/pandas/scipy: it runs inside LEAN as well as in the engines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from risk_models.sizing import entry_weights

Array = npt.NDArray[np.float64]

EULER_GAMMA = 0.5772156649015329
DEFAULT_TRIALS = 64
"""Four model kinds times the sixteen entry thresholds ``ats forecast evaluate`` sweeps."""

RECORD_COLUMNS = ("time", "symbol", "prediction", "confidence", "forward_return", "next_return")


@dataclass(frozen=True)
class GateConfig:
    """Thresholds of the promotion gates; every default is documented in the README.

    Parameters
    ----------
    min_ic_t
        Block-bootstrap t-statistic the rank IC must reach.
    max_ece
        Largest expected calibration error accepted.
    min_deflated_sharpe
        Deflated Sharpe Ratio (a probability) the sizing rule must reach.
    trials
        Configurations tried (models x thresholds); deflates the Sharpe ratio.
    cost_bps
        Trading cost per unit of turnover in the sizing simulation, basis points.
    entry_confidence
        Entry threshold of the sizing rule in the simulation.
    min_dates
        Resolved forecast dates needed before any verdict.
    window_dates
        Only the most recent this many resolved forecast dates are judged (``None``:
        the whole record), so a model whose edge has gone stops passing.
    min_shadow_dates
        Resolved dates a version must be scored on while in shadow.
    min_challenger_t
        Block-bootstrap t-statistic of the challenger's mean daily excess return over
        the champion needed to replace it.
    bootstrap_samples
        Bootstrap resamples.
    block_length
        Dates per bootstrap block; ``None``: the cube root of the dates, at least the
        horizon in bars.
    ece_bins
        Equal-width confidence bins of the calibration error.
    seed
        Bootstrap seed (verdicts are reproducible).
    """

    min_ic_t: float = 2.0
    max_ece: float = 0.05
    min_deflated_sharpe: float = 0.95
    trials: int = DEFAULT_TRIALS
    cost_bps: float = 5.0
    entry_confidence: float = 0.50
    min_dates: int = 60
    window_dates: int | None = 500
    min_shadow_dates: int = 20
    min_challenger_t: float = 2.0
    bootstrap_samples: int = 1000
    block_length: int | None = None
    ece_bins: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        checks = {
            "min_ic_t": (self.min_ic_t, 0.0, 10.0),
            "max_ece": (self.max_ece, 0.0, 0.5),
            "min_deflated_sharpe": (self.min_deflated_sharpe, 0.5, 1.0),
            "cost_bps": (self.cost_bps, 0.0, 1000.0),
            "entry_confidence": (self.entry_confidence, 0.0, 1.0),
            "min_challenger_t": (self.min_challenger_t, 0.0, 10.0),
        }
        for name, (value, low, high) in checks.items():
            if not (isinstance(value, int | float) and low <= value <= high):
                raise ValueError(f"{name} must be in [{low}, {high}]; got {value!r}")
        counts = {
            "trials": (self.trials, 1),
            "min_dates": (self.min_dates, 3),
            "min_shadow_dates": (self.min_shadow_dates, 1),
            "bootstrap_samples": (self.bootstrap_samples, 50),
            "ece_bins": (self.ece_bins, 1),
        }
        for name, (value, low) in counts.items():
            if not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}; got {value!r}")
        if self.window_dates is not None and (
            not isinstance(self.window_dates, int) or self.window_dates < self.min_dates
        ):
            raise ValueError(
                f"window_dates must be an integer >= min_dates ({self.min_dates}) or None; "
                f"got {self.window_dates!r}"
            )
        if self.block_length is not None and self.block_length < 1:
            raise ValueError(f"block_length must be >= 1; got {self.block_length!r}")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GateConfig:
        """Build from :meth:`to_dict` output (unknown keys refused)."""
        return cls(**dict(values))


@dataclass(frozen=True)
class GateResult:
    """One gate's statistic, threshold and verdict."""

    name: str
    statistic: float | None
    threshold: float
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values (a non-finite statistic becomes ``None``)."""
        document = asdict(self)
        if self.statistic is not None and not math.isfinite(self.statistic):
            document["statistic"] = None
        return document


@dataclass(frozen=True)
class GateReport:
    """Every gate's result on one record."""

    results: tuple[GateResult, ...]
    dates: int
    rows: int
    figures: dict[str, float | None] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Whether every gate passed."""
        return bool(self.results) and all(result.passed for result in self.results)

    @property
    def reasons(self) -> tuple[str, ...]:
        """One line per failed gate."""
        return tuple(result.detail for result in self.results if not result.passed)

    def result(self, name: str) -> GateResult | None:
        """Return the gate called ``name``, if it ran."""
        return next((result for result in self.results if result.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready values."""
        return {
            "passed": self.passed,
            "dates": self.dates,
            "rows": self.rows,
            "reasons": list(self.reasons),
            "gates": [result.to_dict() for result in self.results],
            "figures": {
                key: (value if value is None or math.isfinite(value) else None)
                for key, value in self.figures.items()
            },
        }


# ---------------------------------------------------------------- statistics


def _date_codes(times: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], int]:
    """Return each row's date position (0 = earliest) and the number of dates."""
    unique, codes = np.unique(np.asarray(times), return_inverse=True)
    return codes.astype(np.int64), int(unique.size)


def block_length_for(dates: int, config: GateConfig, horizon_bars: int = 1) -> int:
    """Return the bootstrap block length for ``dates`` dates."""
    if config.block_length is not None:
        return max(1, min(config.block_length, dates))
    cube_root = int(math.ceil(float(dates) ** (1.0 / 3.0)))
    return max(1, min(dates, max(horizon_bars, cube_root)))


def _bootstrap_sums(per_date: Array, block: int, samples: int, seed: int) -> Array:
    """Column sums of ``per_date`` (dates x k) over ``samples`` moving-block resamples.

    Each resample draws ``ceil(dates / block)`` blocks of consecutive dates with uniform
    starts and keeps the first ``dates`` of them; a block's sum is a difference of
    cumulative sums, so no resample is materialized.
    """
    dates = per_date.shape[0]
    rng = np.random.default_rng(seed)
    blocks = math.ceil(dates / block)
    starts = rng.integers(0, dates - block + 1, size=(samples, blocks))
    cumulative = np.vstack([np.zeros((1, per_date.shape[1])), np.cumsum(per_date, axis=0)])
    whole = cumulative[starts[:, :-1] + block] - cumulative[starts[:, :-1]]
    tail = dates - (blocks - 1) * block
    last = cumulative[starts[:, -1] + tail] - cumulative[starts[:, -1]]
    totals: Array = whole.sum(axis=1) + last
    return totals


def _correlation_from_sums(sums: Array) -> Array:
    """Pearson correlation from columns n, Σx, Σy, Σxy, Σx², Σy² (one row per sample)."""
    n, sx, sy, sxy, sxx, syy = (sums[..., index] for index in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        var_x = sxx - sx * sx / n
        var_y = syy - sy * sy / n
        result: Array = cov / np.sqrt(var_x * var_y)
    return result


def bootstrap_rank_ic(
    times: Array,
    prediction: Array,
    outcome: Array,
    *,
    config: GateConfig,
    horizon_bars: int = 1,
) -> tuple[float, float, float]:
    """Return the pooled rank IC, its block-bootstrap standard error and their ratio (t).

    Ranks are taken once over the whole record; each resample weighs every date by how
    often a moving block drew it, so a date's rows always move together.
    """
    codes, dates = _date_codes(times)
    x = pd.Series(prediction).rank().to_numpy(dtype=np.float64)
    y = pd.Series(outcome).rank().to_numpy(dtype=np.float64)
    columns = np.column_stack([np.ones_like(x), x, y, x * y, x * x, y * y])
    per_date: Array = np.column_stack(
        [np.bincount(codes, weights=columns[:, index], minlength=dates) for index in range(6)]
    ).astype(np.float64)
    ic = float(_correlation_from_sums(per_date.sum(axis=0)))
    if dates < 3 or not math.isfinite(ic):
        return ic, math.nan, math.nan
    block = block_length_for(dates, config, horizon_bars)
    resampled = _bootstrap_sums(per_date, block, config.bootstrap_samples, config.seed)
    values = _correlation_from_sums(resampled)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return ic, math.nan, math.nan
    error = float(np.std(values, ddof=1))
    t = ic / error if error > 0 else (math.inf if ic > 0 else -math.inf if ic < 0 else 0.0)
    return ic, error, t


def bootstrap_mean_t(
    values: Array, *, config: GateConfig, horizon_bars: int = 1
) -> tuple[float, float, float]:
    """Return the mean of a date series, its block-bootstrap standard error and their ratio."""
    series = np.asarray(values, dtype=np.float64)
    dates = int(series.size)
    if dates < 3:
        return (float(series.mean()) if dates else math.nan), math.nan, math.nan
    mean = float(series.mean())
    block = block_length_for(dates, config, horizon_bars)
    sums = _bootstrap_sums(series[:, None], block, config.bootstrap_samples, config.seed)
    means = sums[:, 0] / dates
    error = float(np.std(means, ddof=1))
    t = mean / error if error > 0 else (math.inf if mean > 0 else -math.inf if mean < 0 else 0.0)
    return mean, error, t


def confidence_bins(confidence: Array, bins: int = 10) -> npt.NDArray[np.int64]:
    """Each confidence's equal-width bin of [0, 1] (1.0 falls in the last bin)."""
    index: npt.NDArray[np.int64] = np.clip((confidence * bins).astype(np.int64), 0, bins - 1)
    return index


def expected_calibration_error(confidence: Array, hits: Array, bins: int = 10) -> float | None:
    """Count-weighted mean gap between confidence and hit rate over equal-width bins of [0, 1]."""
    confidence = np.asarray(confidence, dtype=np.float64)
    hits = np.asarray(hits, dtype=np.float64)
    if confidence.size == 0:
        return None
    position = confidence_bins(confidence, bins)
    count = np.bincount(position, minlength=bins).astype(np.float64)
    mean_confidence = np.bincount(position, weights=confidence, minlength=bins)
    mean_hits = np.bincount(position, weights=hits, minlength=bins)
    return float(np.abs(mean_confidence - mean_hits).sum() / count.sum())


def sizing_returns(record: pd.DataFrame, *, entry_confidence: float, cost_bps: float) -> pd.Series:
    """Return the sizing rule's after-cost return per forecast date, equal weight over assets.

    The position set by a forecast (``sign(prediction)`` above the entry threshold, else
    flat) earns that row's ``next_return``; a change of position costs ``cost_bps`` per
    unit. Matches ``engines.forecast.strategy.simulate`` before costs.
    """
    if record.empty:
        return pd.Series(dtype=np.float64)
    frame = record.sort_values(["time", "symbol"], kind="stable")
    weight = entry_weights(
        frame["prediction"].to_numpy(dtype=np.float64),
        frame["confidence"].to_numpy(dtype=np.float64),
        entry_confidence=entry_confidence,
    )
    table = pd.DataFrame(
        {"time": frame["time"].to_numpy(), "symbol": frame["symbol"].to_numpy(), "weight": weight}
    )
    table["pnl"] = weight * frame["next_return"].to_numpy(dtype=np.float64)
    positions = table.pivot_table(index="time", columns="symbol", values="weight", aggfunc="last")
    pnl = table.pivot_table(index="time", columns="symbol", values="pnl", aggfunc="last")
    changes = positions.fillna(0.0).diff().abs()
    if len(changes):
        changes.iloc[0] = positions.fillna(0.0).iloc[0].abs()
    cost = changes.mean(axis=1) * cost_bps / 10_000.0
    return (pnl.mean(axis=1) - cost).rename("return")


def deflated_sharpe_ratio(
    returns: Array, *, trials: int, trial_sharpe_variance: float | None = None
) -> tuple[float, float, float]:
    """Return (Sharpe ratio per period, the expected best of ``trials`` null ones, DSR).

    The DSR is the probability that the true Sharpe ratio exceeds the expected maximum
    of ``trials`` skill-less estimates, given the sample's length, skewness and
    kurtosis (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014). Without the
    variance of the trials' Sharpe ratios the estimator's null variance ``1 / (T - 1)``
    is used.
    """
    series = np.asarray(returns, dtype=np.float64)
    series = series[np.isfinite(series)]
    count = int(series.size)
    if count < 3:
        return 0.0, math.nan, 0.0
    variance = trial_sharpe_variance if trial_sharpe_variance is not None else 1.0 / (count - 1)
    expected_max = 0.0
    if trials > 1:
        expected_max = math.sqrt(variance) * (
            (1.0 - EULER_GAMMA) * float(norm.ppf(1.0 - 1.0 / trials))
            + EULER_GAMMA * float(norm.ppf(1.0 - 1.0 / (trials * math.e)))
        )
    if float(np.std(series)) == 0.0:
        return 0.0, expected_max, 0.0
    sharpe = float(series.mean() / series.std(ddof=1))
    centred = series - series.mean()
    sigma = float(np.sqrt(np.mean(centred**2)))
    skew = float(np.mean(centred**3) / sigma**3)
    kurtosis = float(np.mean(centred**4) / sigma**4)
    spread = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if spread <= 0:
        return sharpe, expected_max, 0.0
    z = (sharpe - expected_max) * math.sqrt(count - 1) / math.sqrt(spread)
    return sharpe, float(expected_max), float(norm.cdf(z))


# ---------------------------------------------------------------- gates


def resolved(record: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``record`` whose outcome and next return are known."""
    missing = [name for name in RECORD_COLUMNS if name not in record.columns]
    if missing:
        raise ValueError(f"a record needs columns {', '.join(missing)}")
    values = record[["prediction", "confidence", "forward_return", "next_return"]].to_numpy(
        dtype=np.float64
    )
    kept: pd.DataFrame = record[np.isfinite(values).all(axis=1)]
    return kept


def evaluate_gates(
    record: pd.DataFrame,
    config: GateConfig | None = None,
    *,
    horizon_bars: int = 1,
    trial_sharpe_variance: float | None = None,
) -> GateReport:
    """Run the out-of-sample gates on ``record`` (columns :data:`RECORD_COLUMNS`)."""
    settings = config or GateConfig()
    rows = resolved(record)
    if settings.window_dates is not None:
        kept = np.unique(rows["time"].to_numpy())[-settings.window_dates :]
        rows = rows[rows["time"].isin(kept)]
    times = rows["time"].to_numpy()
    dates = int(np.unique(times).size)
    evidence = GateResult(
        name="evidence",
        statistic=float(dates),
        threshold=float(settings.min_dates),
        passed=dates >= settings.min_dates,
        detail=f"{dates} resolved forecast dates; {settings.min_dates} needed",
    )
    if not evidence.passed:
        return GateReport(results=(evidence,), dates=dates, rows=len(rows))
    prediction = rows["prediction"].to_numpy(dtype=np.float64)
    outcome = rows["forward_return"].to_numpy(dtype=np.float64)
    confidence = rows["confidence"].to_numpy(dtype=np.float64)
    ic, error, t = bootstrap_rank_ic(
        times, prediction, outcome, config=settings, horizon_bars=horizon_bars
    )
    ic_gate = GateResult(
        name="ic_t",
        statistic=t if math.isfinite(t) else None,
        threshold=settings.min_ic_t,
        passed=math.isfinite(t) and t >= settings.min_ic_t,
        detail=f"rank IC {ic:+.4f}, bootstrap t {t:.2f}; needs >= {settings.min_ic_t:.2f}",
    )
    hits = (prediction * outcome > 0).astype(np.float64)
    ece = expected_calibration_error(confidence, hits, settings.ece_bins)
    ece_gate = GateResult(
        name="ece",
        statistic=ece,
        threshold=settings.max_ece,
        passed=ece is not None and ece <= settings.max_ece,
        detail=(
            f"calibration error {ece:.4f}; needs <= {settings.max_ece:.4f}"
            if ece is not None
            else "no calibration error without forecasts"
        ),
    )
    daily = sizing_returns(
        rows, entry_confidence=settings.entry_confidence, cost_bps=settings.cost_bps
    )
    sharpe, benchmark, dsr = deflated_sharpe_ratio(
        daily.to_numpy(), trials=settings.trials, trial_sharpe_variance=trial_sharpe_variance
    )
    dsr_gate = GateResult(
        name="deflated_sharpe",
        statistic=dsr,
        threshold=settings.min_deflated_sharpe,
        passed=dsr >= settings.min_deflated_sharpe,
        detail=(
            "the sizing rule never traded (nothing above the entry threshold); "
            f"deflated Sharpe 0; needs >= {settings.min_deflated_sharpe:.2f}"
            if not daily.abs().to_numpy().any()
            else f"deflated Sharpe {dsr:.3f} (Sharpe {sharpe:+.4f} per bar after "
            f"{settings.cost_bps:g} bp costs against {benchmark:.4f} expected from "
            f"{settings.trials} trials); needs >= {settings.min_deflated_sharpe:.2f}"
        ),
    )
    return GateReport(
        results=(evidence, ic_gate, ece_gate, dsr_gate),
        dates=dates,
        rows=len(rows),
        figures={
            "rank_ic": ic,
            "rank_ic_error": error,
            "hit_rate": float(hits.mean()) if hits.size else None,
            "sharpe_per_bar": sharpe,
            "expected_max_null_sharpe": benchmark,
            "invested": float(
                np.mean(
                    entry_weights(
                        prediction, confidence, entry_confidence=settings.entry_confidence
                    )
                    != 0
                )
            ),
        },
    )


def shadow_gate(shadow: pd.DataFrame, config: GateConfig | None = None) -> GateResult:
    """Has the version been scored on enough shadow forecasts, without negative skill?

    ``shadow`` holds the forecasts the version published while in shadow, with outcomes
    where they have resolved. It passes with at least ``min_shadow_dates`` resolved
    dates and a rank IC that is not negative (a few weeks cannot show significance;
    they can show that the live forecasts do not contradict the record).
    """
    settings = config or GateConfig()
    rows = resolved(shadow)
    dates = int(rows["time"].nunique())
    if dates < settings.min_shadow_dates:
        return GateResult(
            name="shadow",
            statistic=float(dates),
            threshold=float(settings.min_shadow_dates),
            passed=False,
            detail=f"{dates} resolved shadow dates; {settings.min_shadow_dates} needed",
        )
    prediction = rows["prediction"].rank().to_numpy(dtype=np.float64)
    outcome = rows["forward_return"].rank().to_numpy(dtype=np.float64)
    ic = float(np.corrcoef(prediction, outcome)[0, 1]) if len(rows) > 2 else math.nan
    passed = math.isfinite(ic) and ic >= 0.0
    return GateResult(
        name="shadow",
        statistic=ic if math.isfinite(ic) else None,
        threshold=0.0,
        passed=passed,
        detail=f"shadow rank IC {ic:+.4f} over {dates} dates; needs >= 0",
    )


def challenger_gate(
    champion: pd.DataFrame,
    challenger: pd.DataFrame,
    config: GateConfig | None = None,
    *,
    horizon_bars: int = 1,
) -> GateResult:
    """Does the challenger beat the champion on the same shadow rows by a significant margin?

    Both records are cut to the (time, symbol) rows they share; the statistic is the
    block-bootstrap t of the mean per-date difference of the sizing rule's after-cost
    returns (challenger minus champion).
    """
    settings = config or GateConfig()
    keys = ["time", "symbol"]
    joined = resolved(champion).merge(resolved(challenger), on=keys, suffixes=("_a", "_b"))
    dates = int(joined["time"].nunique())
    if dates < settings.min_shadow_dates:
        return GateResult(
            name="challenger",
            statistic=float(dates),
            threshold=float(settings.min_shadow_dates),
            passed=False,
            detail=f"{dates} shared resolved dates with the champion; "
            f"{settings.min_shadow_dates} needed",
        )

    def side(suffix: str) -> pd.Series:
        part = joined[keys].assign(
            **{
                name: joined[f"{name}_{suffix}"]
                for name in ("prediction", "confidence", "forward_return", "next_return")
            }
        )
        return sizing_returns(
            part, entry_confidence=settings.entry_confidence, cost_bps=settings.cost_bps
        )

    difference = (side("b") - side("a")).dropna()
    mean, _error, t = bootstrap_mean_t(
        difference.to_numpy(), config=settings, horizon_bars=horizon_bars
    )
    return GateResult(
        name="challenger",
        statistic=t if math.isfinite(t) else None,
        threshold=settings.min_challenger_t,
        passed=math.isfinite(t) and t >= settings.min_challenger_t,
        detail=(
            f"challenger earns {mean * 1e4:+.2f} bp per bar more than the champion, "
            f"bootstrap t {t:.2f}; needs >= {settings.min_challenger_t:.2f}"
        ),
    )
