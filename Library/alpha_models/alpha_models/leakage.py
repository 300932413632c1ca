"""Look-ahead checks: a value at time t must not change when later data is cut off."""

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
    """A feature whose value at ``time`` changed when later bars were removed."""

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
