"""Look-ahead checks: a value at time t must not change when later data is cut off or changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.bars import BarPanel
from alpha_models.errors import LookAheadError
from alpha_models.features import FeatureDefinition, compute_features


@dataclass(frozen=True)
class LeakFinding:
    """A feature whose values at or before ``time`` changed with the bars after it.

    :func:`find_feature_leaks` removes those bars and reports the row at ``time``;
    :func:`find_future_dependence` changes them and reports any row up to ``time``.
    """

    feature: str
    time: pd.Timestamp
    assets: tuple[str, ...]


def find_feature_leaks(
    panel: BarPanel,
    definitions: Sequence[FeatureDefinition],
    cut_times: Sequence[pd.Timestamp],
) -> list[LeakFinding]:
    """Compare each feature at every cut time on full and truncated bars.

    Parameters
    ----------
    panel
        Bars extending past every cut time.
    definitions
        Features to check.
    cut_times
        Bar start times at which the history is cut.

    Returns
    -------
    list of LeakFinding
        Empty when every feature at every cut time is unchanged (NaN equals NaN).
    """
    full = compute_features(panel, definitions)
    findings: list[LeakFinding] = []
    for cut in cut_times:
        position = int(full.times.get_indexer(pd.DatetimeIndex([cut]))[0])
        if position < 0:
            raise ValueError(f"cut time {cut} is not a bar time")
        truncated = compute_features(panel.until(cut), definitions)
        for feature, name in enumerate(full.names):
            before = full.values[position, :, feature]
            after = truncated.values[position, :, feature]
            changed = ~((before == after) | (np.isnan(before) & np.isnan(after)))
            if changed.any():
                assets = tuple(a for a, c in zip(full.assets, changed, strict=True) if c)
                findings.append(LeakFinding(feature=name, time=cut, assets=assets))
    return findings


def assert_no_feature_leaks(
    panel: BarPanel,
    definitions: Sequence[FeatureDefinition],
    cut_times: Sequence[pd.Timestamp],
) -> None:
    """Raise :class:`LookAheadError` if any feature peeks past its bar.

    See :func:`find_feature_leaks`.
    """
    findings = find_feature_leaks(panel, definitions, cut_times)
    if findings:
        names = sorted({finding.feature for finding in findings})
        raise LookAheadError(f"features use data after their bar's close: {names}")


def altered_after(
    panel: BarPanel,
    cut: pd.Timestamp,
    assets: Sequence[str] | None = None,
    *,
    seed: int = 0,
) -> BarPanel:
    """Return the bars with every bar after ``cut`` of ``assets`` changed.

    Prices of each changed bar are scaled by one random factor (open, high, low and
    close alike, so the bar stays consistent), volumes by another, and every fifth
    changed bar is removed (missing: NaN prices, no ``end_time``). Bars at or before
    ``cut``, and every bar of the other assets, are kept as they are.

    Parameters
    ----------
    panel
        Bars to change.
    cut
        Last bar start time kept unchanged.
    assets
        Assets whose later bars change; all when omitted.
    seed
        Seed of the random factors.
    """
    chosen = list(panel.assets if assets is None else assets)
    unknown = sorted(set(chosen) - set(panel.assets))
    if unknown:
        raise ValueError(f"unknown assets {unknown}")
    later = np.asarray(panel.close.index > cut)
    count = int(later.sum())
    generator = np.random.default_rng(seed)
    price_factor = np.exp(generator.normal(0.0, 0.05, size=(count, len(chosen))))
    volume_factor = np.exp(generator.normal(0.0, 0.7, size=(count, len(chosen))))
    removed = (np.arange(count) % 5 == 4)[:, None] & np.ones(len(chosen), dtype=bool)
    frames: dict[str, pd.DataFrame] = {}
    for name in ("open", "high", "low", "close", "volume"):
        frame = getattr(panel, name).copy()
        block = frame.loc[later, chosen].to_numpy(dtype=np.float64)
        block = block * (volume_factor if name == "volume" else price_factor)
        block[removed] = np.nan
        frame.loc[later, chosen] = block
        frames[name] = frame
    end_time = panel.end_time.copy()
    ends = end_time.loc[later, chosen].to_numpy(dtype="datetime64[ns]")
    ends[removed] = np.datetime64("NaT")
    end_time.loc[later, chosen] = ends
    return BarPanel(end_time=end_time, **frames)


def find_future_dependence(
    panel: BarPanel,
    definitions: Sequence[FeatureDefinition],
    cut_times: Sequence[pd.Timestamp],
    *,
    altered_assets: Sequence[str] | None = None,
    seed: int = 0,
) -> list[LeakFinding]:
    """Compare every feature at every bar up to each cut when later bars change.

    Unlike :func:`find_feature_leaks`, which removes the later bars and compares the
    cut's row, this keeps the later bars but changes them (:func:`altered_after`) and
    compares all rows up to the cut, for every asset. With ``altered_assets`` naming
    one asset, a finding on another asset means a feature reads one asset's future
    into another's present (a cross-sectional leak).

    Returns
    -------
    list of LeakFinding
        One per feature and cut whose values changed (``assets``: where); empty when
        none did (NaN equals NaN).
    """
    full = compute_features(panel, definitions)
    findings: list[LeakFinding] = []
    for number, cut in enumerate(cut_times):
        position = int(full.times.get_indexer(pd.DatetimeIndex([cut]))[0])
        if position < 0:
            raise ValueError(f"cut time {cut} is not a bar time")
        changed_panel = altered_after(panel, cut, altered_assets, seed=seed + number)
        changed = compute_features(changed_panel, definitions)
        for feature, name in enumerate(full.names):
            before = full.values[: position + 1, :, feature]
            after = changed.values[: position + 1, :, feature]
            differs = ~((before == after) | (np.isnan(before) & np.isnan(after)))
            moved = differs.any(axis=0)
            if moved.any():
                assets = tuple(a for a, m in zip(full.assets, moved, strict=True) if m)
                findings.append(LeakFinding(feature=name, time=cut, assets=assets))
    return findings


def assert_truncation_invariant(
    produce: Callable[[BarPanel], pd.DataFrame],
    panel: BarPanel,
    cut_time: pd.Timestamp,
    *,
    key_columns: Sequence[str] = ("symbol", "time"),
    value_columns: Sequence[str] = ("prediction", "confidence", "model_version"),
) -> int:
    """Check that rows produced up to ``cut_time`` are identical on truncated bars.

    Parameters
    ----------
    produce
        Maps bars to a frame of forecasts with a ``bar_time`` column.
    panel
        Bars extending past ``cut_time``.
    cut_time
        Last bar start time kept in the truncated run.

    Returns
    -------
    int
        How many rows were compared.

    Raises
    ------
    LookAheadError
        If the rows differ (values compared bit for bit, NaN equal to NaN).
    """
    full = produce(panel)
    truncated = produce(panel.until(cut_time))
    columns = [*key_columns, *value_columns]
    expected = full.loc[full["bar_time"] <= cut_time, columns].reset_index(drop=True)
    actual = truncated.loc[truncated["bar_time"] <= cut_time, columns].reset_index(drop=True)
    if not expected.equals(actual):
        raise LookAheadError(
            f"forecasts up to {cut_time} change when later data is present "
            f"({len(expected)} rows with it, {len(actual)} without)"
        )
    return len(expected)
