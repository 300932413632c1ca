"""The purged validation slice inside a walk-forward fold.

A fold's training rows (all labelled before the period start minus the embargo) are
split by time: the newest ``fraction`` of their forecast dates is held out for
validation, and only rows whose label window ended at least the embargo before the
first validation date are fitted on (purge and embargo, as at the period boundary;
López de Prado, *Advances in Financial Machine Learning*, ch. 7). A row that is neither
(its label reaches into the validation dates) is left out of both. Early stopping and the
ensemble's weights are chosen on the validation rows, so both are out of sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array


@dataclass(frozen=True)
class ValidationSplit:
    """Which training rows are fitted on and which are held out.

    Attributes
    ----------
    fit, held_out
        Boolean masks over the fold's training rows (disjoint).
    start
        First held-out forecast time (int64 nanoseconds).
    """

    fit: Array
    held_out: Array
    start: int

    def summary(self) -> dict[str, object]:
        """JSON-able description recorded with the model version."""
        return {
            "fit_rows": int(self.fit.sum()),
            "validation_rows": int(self.held_out.sum()),
            "validation_start": pd.Timestamp(self.start).isoformat(),
        }


def purged_validation_split(
    available_at: Array,
    label_end: Array,
    *,
    fraction: float,
    embargo: pd.Timedelta,
    minimum_fit_rows: int,
    minimum_validation_rows: int,
) -> ValidationSplit | None:
    """Split a fold's training rows into fitting rows and a purged validation slice.

    Parameters
    ----------
    available_at, label_end
        Each training row's forecast time and label end (int64 nanoseconds).
    fraction
        Share of the distinct forecast times held out, newest first (0: no split).
    embargo
        Gap between the last fitting label's end and the first validation time.
    minimum_fit_rows, minimum_validation_rows
        Below either, there is no split (``None``): the fold fits on every row.
    """
    if fraction <= 0 or available_at.size == 0:
        return None
    times = np.unique(available_at)
    position = int(np.floor(times.size * (1.0 - fraction)))
    if position <= 0 or position >= times.size:
        return None
    start = int(times[position])
    held_out = available_at >= start
    fit = label_end <= start - embargo.value
    if int(held_out.sum()) < minimum_validation_rows or int(fit.sum()) < minimum_fit_rows:
        return None
    return ValidationSplit(fit=fit, held_out=held_out, start=start)
