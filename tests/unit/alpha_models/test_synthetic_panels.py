"""The synthetic panels themselves: seeded, shaped like bars, with the truth they claim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_models.bars import BarPanel
from alpha_models.features import compute_features
from tests.support.synthetic_panels import (
    PanelSpec,
    calm_panel,
    noise_panel,
    per_date_rank_ic,
    volatile_panel,
)


def test_a_panel_is_seeded_and_in_the_shape_bar_panels_take() -> None:
    first = calm_panel(assets=5, years=1.0, seed=9)
    again = calm_panel(assets=5, years=1.0, seed=9)
    other = calm_panel(assets=5, years=1.0, seed=10)
    assert sorted(first.frames) == ["A000", "A001", "A002", "A003", "A004"]
    for symbol, frame in first.frames.items():
        pd.testing.assert_frame_equal(frame, again.frames[symbol])
        assert list(frame.columns) == ["open", "high", "low", "close", "volume", "end_time"]
        assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
        assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
        assert (frame["low"] > 0).all()
    assert not first.frames["A000"]["close"].equals(other.frames["A000"]["close"])
    panel = BarPanel.from_frames(first.frames)
    assert panel.close.shape == (252, 5)
    # the truth's realized next return is the label the walk-forward computes
    np.testing.assert_allclose(
        first.next_return.to_numpy()[:-1],
        (panel.close.shift(-1) / panel.close - 1.0).to_numpy()[:-1],
    )
    with pytest.raises(ValueError, match="GARCH"):
        PanelSpec(garch_alpha=0.2, garch_beta=0.85)


def test_the_volatile_year_is_several_times_as_volatile() -> None:
    calm = calm_panel(assets=20, years=4.0, seed=2)
    volatile = volatile_panel(assets=20, years=4.0, seed=2, volatile_year=2)
    assert calm.volatile_period is None
    assert volatile.volatile_period is not None
    first, last = volatile.volatile_period
    inside = (volatile.next_return.index >= first) & (volatile.next_return.index < last)
    ratio = volatile.next_return[inside].std().mean() / calm.next_return[inside].std().mean()
    assert 3.0 < ratio < 5.0
    outside = volatile.next_return.index < first - pd.Timedelta(days=5)
    pd.testing.assert_frame_equal(volatile.next_return[outside], calm.next_return[outside])


def test_the_planted_signal_is_known_visible_in_past_bars_and_absent_from_noise() -> None:
    truth = calm_panel(assets=30, years=3.0, seed=1)
    # a perfect forecaster's per-date rank IC, about the planted strength
    assert 0.08 < truth.attainable_rank_ic() < 0.14
    # scored like a forecast table, the planted expected return gives the same number
    table = (
        truth.expected_return.stack()
        .rename("prediction")
        .to_frame()
        .join(truth.next_return.stack().rename("forward_return"))
        .reset_index()
        .rename(columns={"time": "bar_time", "level_1": "symbol"})
    )
    assert per_date_rank_ic(table).mean() == pytest.approx(truth.attainable_rank_ic())
    # the bar's volume z-score (a default feature) reveals the latent behind the signal
    matrix = compute_features(BarPanel.from_frames(truth.frames))
    volume = matrix.values[:, :, matrix.names.index("volume_zscore_20")]
    standardized = (truth.expected_return / truth.volatility).to_numpy()
    known = np.isfinite(volume) & np.isfinite(standardized)
    assert np.corrcoef(volume[known], standardized[known])[0, 1] > 0.5

    noise = noise_panel(assets=30, years=3.0, seed=1)
    assert (noise.expected_return.dropna(how="all") == 0.0).all().all()
    assert noise.spec == PanelSpec(assets=30, years=3.0, seed=1, signal_strength=0.0)
