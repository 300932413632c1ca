"""Cross-sectional forecast quality: does the model rank the assets of one date?

Pooled scores mix two things: how well the forecasts follow the market's swings from
date to date, and how well they order the assets on the same date. This module
separates them:

- :func:`per_date_rank_ic`: for every forecast date with at least ``min_assets``
  resolved forecasts, the Spearman correlation across assets between prediction and
  realized forward return;
- :func:`cross_sectional_ic`: the mean of that series, with a t-statistic from the
  promotion gates' moving block bootstrap over dates (``risk_models.gates``) next to
  the plain mean / standard-error t that assumes independent dates;
- :func:`common_variance_share`: the share of a column's variance explained by its
  date means (between-date over total; 1 minus the within-date share);
- :func:`ic_by_year`: the pooled rank IC and the mean per-date rank IC of every
  calendar year.

:func:`cross_section_report` gathers them for ``ats forecast evaluate``. With a single
asset (or no date with enough assets) there is no cross-section, and the report says
so instead of giving numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from engines.forecast.metrics import rank_ic
from risk_models.gates import GateConfig, block_length_for, bootstrap_mean_t

MIN_ASSETS = 3
"""Fewest resolved forecasts on a date for it to count as a cross-section."""

COLUMNS = ("time", "symbol", "prediction", "forward_return")


def _check_min_assets(min_assets: int) -> None:
    if not isinstance(min_assets, int) or min_assets < 2:
        raise ValueError(f"min_assets must be an integer >= 2; got {min_assets!r}")


def resolved_rows(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Return ``time, symbol, prediction, forward_return`` of the rows with both numbers finite."""
    missing = [name for name in COLUMNS if name not in forecasts.columns]
    if missing:
        raise ValueError(f"forecasts need columns {', '.join(missing)}")
    values = forecasts[["prediction", "forward_return"]].to_numpy(dtype=np.float64)
    kept = forecasts.loc[np.isfinite(values).all(axis=1), list(COLUMNS)]
    return kept.reset_index(drop=True)


def cross_section_rows(forecasts: pd.DataFrame, min_assets: int = MIN_ASSETS) -> pd.DataFrame:
    """Return the resolved rows of the dates that hold at least ``min_assets`` of them."""
    _check_min_assets(min_assets)
    rows = resolved_rows(forecasts)
    size = rows.groupby("time", sort=False)["symbol"].transform("size")
    kept: pd.DataFrame = rows[size >= min_assets].reset_index(drop=True)
    return kept


def per_date_rank_ic(forecasts: pd.DataFrame, min_assets: int = MIN_ASSETS) -> pd.DataFrame:
    """Spearman rank IC across assets for every date with at least ``min_assets`` rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``time`` (ascending), columns ``assets`` (rows on that date) and
        ``rank_ic``; ``rank_ic`` is NaN on a date whose predictions or outcomes are all
        equal (nothing to rank). Ties get their average rank.
    """
    rows = cross_section_rows(forecasts, min_assets)
    if rows.empty:
        return pd.DataFrame(
            {"assets": pd.Series(dtype=np.int64), "rank_ic": pd.Series(dtype=np.float64)},
            index=pd.DatetimeIndex([], name="time"),
        )
    by_date = rows.groupby("time", sort=True)
    x = by_date["prediction"].rank()
    y = by_date["forward_return"].rank()
    dx = x - x.groupby(rows["time"]).transform("mean")
    dy = y - y.groupby(rows["time"]).transform("mean")
    sums = (
        pd.DataFrame(
            {"time": rows["time"], "assets": 1, "xy": dx * dy, "xx": dx * dx, "yy": dy * dy}
        )
        .groupby("time", sort=True)[["assets", "xy", "xx", "yy"]]
        .sum()
    )
    spread = (sums["xx"] > 0) & (sums["yy"] > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ic = sums["xy"] / np.sqrt(sums["xx"] * sums["yy"])
    table = pd.DataFrame(
        {"assets": sums["assets"].astype(np.int64), "rank_ic": ic.where(spread, np.nan)}
    )
    table.index.name = "time"
    return table


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class DateMeanT:
    """Mean of a per-date series with a block-bootstrap t and the independent-dates t."""

    dates: int
    mean: float | None
    stdev: float | None
    t_iid: float | None
    t_bootstrap: float | None
    bootstrap_error: float | None
    block_length: int | None


def date_mean_t(values: npt.ArrayLike, config: GateConfig, horizon_bars: int = 1) -> DateMeanT:
    """Mean of ``values`` (one per date, time order), its bootstrap t and its iid t.

    The bootstrap is :func:`risk_models.gates.bootstrap_mean_t` (moving blocks of
    consecutive dates, block length :func:`risk_models.gates.block_length_for`), so the
    t allows for serial dependence; ``t_iid`` is ``mean / (stdev / sqrt(dates))``,
    which treats dates as independent. A t that cannot be computed (fewer than three
    dates, no variation) is ``None``.
    """
    series = np.asarray(values, dtype=np.float64)
    series = series[np.isfinite(series)]
    dates = int(series.size)
    if dates == 0:
        return DateMeanT(0, None, None, None, None, None, None)
    mean = float(series.mean())
    stdev = float(series.std(ddof=1)) if dates > 1 else math.nan
    t_iid = mean / (stdev / math.sqrt(dates)) if dates > 2 and stdev > 0 else math.nan
    _mean, error, t_boot = bootstrap_mean_t(series, config=config, horizon_bars=horizon_bars)
    if not (math.isfinite(error) and error > 0):
        t_boot = math.nan
    return DateMeanT(
        dates=dates,
        mean=mean,
        stdev=_finite(stdev),
        t_iid=_finite(t_iid),
        t_bootstrap=_finite(t_boot),
        bootstrap_error=_finite(error),
        block_length=block_length_for(dates, config, horizon_bars) if dates >= 3 else None,
    )


def _no_cross_section_reason(forecasts: pd.DataFrame, min_assets: int) -> str | None:
    """Why there is no cross-section to score, or ``None`` when there is one."""
    rows = resolved_rows(forecasts)
    if rows.empty:
        return "no resolved forecasts"
    symbols = rows["symbol"].unique()
    if symbols.size == 1:
        return f"one asset ({symbols[0]}): no cross-section to rank"
    widest = int(rows.groupby("time")["symbol"].size().max())
    if widest < min_assets:
        return f"no date has at least {min_assets} assets (at most {widest})"
    return None


def cross_sectional_ic(
    forecasts: pd.DataFrame,
    *,
    min_assets: int = MIN_ASSETS,
    config: GateConfig | None = None,
    horizon_bars: int = 1,
) -> dict[str, Any]:
    """Summarize the per-date cross-sectional rank IC.

    Returns
    -------
    dict
        ``available`` and ``reason`` (why not, when not available); ``min_assets``;
        ``dates`` (dates with an IC), ``dates_without_spread`` (dates with enough
        assets whose predictions or outcomes were all equal), ``mean_assets`` (per
        date); ``mean``, ``stdev``, ``t_iid``, ``t_bootstrap``, ``bootstrap_error``,
        ``block_length``, ``bootstrap_samples`` and ``horizon_bars``.
    """
    _check_min_assets(min_assets)
    settings = config or GateConfig()
    reason = _no_cross_section_reason(forecasts, min_assets)
    table = per_date_rank_ic(forecasts, min_assets) if reason is None else None
    ranked = pd.Series(dtype=np.float64) if table is None else table["rank_ic"].dropna()
    if table is not None and ranked.empty:
        reason = "predictions or outcomes do not vary across assets on any date"
    summary = date_mean_t(ranked.to_numpy(), settings, horizon_bars)
    return {
        "available": reason is None,
        "reason": reason,
        "min_assets": min_assets,
        "dates_without_spread": 0 if table is None else int(table["rank_ic"].isna().sum()),
        "mean_assets": None if table is None or table.empty else float(table["assets"].mean()),
        **asdict(summary),
        "bootstrap_samples": settings.bootstrap_samples,
        "horizon_bars": horizon_bars,
    }


def common_variance_share(values: pd.Series, times: pd.Series) -> float | None:
    """Share of the variance of ``values`` explained by their date means.

    Between-date sum of squares (each row's date mean against the overall mean) over
    the total sum of squares; equal to 1 minus the within-date share. 1: every asset
    gets the same value on a date; 0: every date's values average to the overall mean.
    ``None`` without variance.
    """
    numbers = pd.Series(np.asarray(values, dtype=np.float64))
    dates = pd.Series(np.asarray(times))
    if numbers.empty:
        return None
    centre = float(numbers.mean())
    total = float(((numbers - centre) ** 2).sum())
    if not total > 0:
        return None
    date_mean = numbers.groupby(dates).transform("mean")
    between = float(((date_mean - centre) ** 2).sum())
    return min(1.0, between / total)


def common_shares(forecasts: pd.DataFrame, min_assets: int = MIN_ASSETS) -> dict[str, Any]:
    """Common-to-the-date variance share of the predictions and of the realized returns.

    Computed on the rows of the dates with at least ``min_assets`` resolved forecasts
    (the rows the cross-sectional IC sees).
    """
    reason = _no_cross_section_reason(forecasts, min_assets)
    rows = cross_section_rows(forecasts, min_assets)
    if reason is not None:
        return {
            "available": False,
            "reason": reason,
            "rows": 0,
            "dates": 0,
            "forecast": None,
            "realized": None,
        }
    return {
        "available": True,
        "reason": None,
        "rows": len(rows),
        "dates": int(rows["time"].nunique()),
        "forecast": common_variance_share(rows["prediction"], rows["time"]),
        "realized": common_variance_share(rows["forward_return"], rows["time"]),
    }


def ic_by_year(
    forecasts: pd.DataFrame, *, min_assets: int = MIN_ASSETS, available: bool = True
) -> list[dict[str, Any]]:
    """Per calendar year of the forecast time: rows and pooled rank IC, dates and mean per-date IC.

    ``available`` false (no cross-section) leaves the per-date figures ``None``.
    """
    rows = resolved_rows(forecasts)
    if rows.empty:
        return []
    per_date = per_date_rank_ic(rows, min_assets)["rank_ic"] if available else None
    in_section = cross_section_rows(rows, min_assets) if available else None
    years = pd.DatetimeIndex(rows["time"]).year
    result = []
    for year, group in rows.groupby(years, sort=True):
        entry: dict[str, Any] = {
            "year": int(year),
            "rows": len(group),
            "rank_ic": rank_ic(group["prediction"], group["forward_return"]),
            "dates": None,
            "cross_sectional_rank_ic": None,
            "forecast_common_share": None,
            "realized_common_share": None,
        }
        if per_date is not None and in_section is not None:
            ranked = per_date[pd.DatetimeIndex(per_date.index).year == year].dropna()
            part = in_section[pd.DatetimeIndex(in_section["time"]).year == year]
            entry["dates"] = len(ranked)
            entry["cross_sectional_rank_ic"] = float(ranked.mean()) if len(ranked) else None
            entry["forecast_common_share"] = common_variance_share(part["prediction"], part["time"])
            entry["realized_common_share"] = common_variance_share(
                part["forward_return"], part["time"]
            )
        result.append(entry)
    return result


def cross_section_report(
    forecasts: pd.DataFrame,
    *,
    min_assets: int = MIN_ASSETS,
    config: GateConfig | None = None,
    horizon_bars: int = 1,
) -> dict[str, Any]:
    """``cross_sectional_rank_ic``, ``common_variance_share`` and ``by_year`` of ``forecasts``."""
    section = cross_sectional_ic(
        forecasts, min_assets=min_assets, config=config, horizon_bars=horizon_bars
    )
    shares = common_shares(forecasts, min_assets)
    return {
        "cross_sectional_rank_ic": section,
        "common_variance_share": shares,
        "by_year": ic_by_year(forecasts, min_assets=min_assets, available=shares["available"]),
    }
