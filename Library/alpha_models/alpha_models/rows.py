"""Training rows: complete feature rows with their labels, and the look-ahead guard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_models.arrays import Array
from alpha_models.errors import LookAheadError
from alpha_models.features import FeatureMatrix
from alpha_models.labels import NOT_A_TIME, Labels


@dataclass(frozen=True)
class FeatureRows:
    """Complete feature rows, flattened time-major from a (time, asset) grid.

    ``targets`` are the labels (forward returns, NaN where unknown), whatever the
    training target; ``volatility`` is each row's ex-ante volatility when the training
    target needs it (:mod:`alpha_models.targets`), else ``None``.
    """

    features: Array
    targets: Array
    label_end: Array
    available_at: Array
    time_index: Array
    asset_index: Array
    volatility: Array | None = None


def flatten_rows(
    matrix: FeatureMatrix, labels: Labels, volatility: Array | None = None
) -> FeatureRows:
    """Keep the rows whose features are all known, in (time, asset) order.

    With a (time, asset) ``volatility``, rows without a finite positive one are
    dropped too (their forecast could not be expressed as a return).
    """
    complete = matrix.complete_rows()
    if volatility is not None:
        complete = complete & (volatility > 0)
    time_index, asset_index = np.nonzero(complete)
    return FeatureRows(
        features=np.ascontiguousarray(matrix.values[time_index, asset_index]),
        targets=labels.forward_return[time_index, asset_index],
        label_end=labels.label_end[time_index, asset_index],
        available_at=matrix.available_at[time_index, asset_index],
        time_index=time_index,
        asset_index=asset_index,
        volatility=None if volatility is None else volatility[time_index, asset_index],
    )


def ensure_labels_end_before(
    label_end: Array, forecast_time: pd.Timestamp, embargo: dt.timedelta
) -> None:
    """Refuse training rows whose label window reaches the forecast time.

    Parameters
    ----------
    label_end
        Int64 nanosecond label end times of the training rows.
    forecast_time
        Earliest time the model will forecast.
    embargo
        Required gap between the last label end and ``forecast_time``.

    Raises
    ------
    LookAheadError
        If a label is unknown or ends later than ``forecast_time - embargo``.
    """
    limit = (forecast_time - pd.Timedelta(embargo)).value
    unknown = label_end == NOT_A_TIME
    late = label_end > limit
    if bool(unknown.any()) or bool(late.any()):
        latest = pd.Timestamp(int(label_end.max())) if late.any() else None
        raise LookAheadError(
            f"{int(unknown.sum())} training rows have no label and {int(late.sum())} end after "
            f"{pd.Timestamp(limit)} (forecast time {forecast_time} minus embargo {embargo}); "
            f"latest label end {latest}"
        )
