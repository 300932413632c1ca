"""The feature library: named sets, hand-computed values, cross-sectional rules, NaN at the start."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from alpha_models import feature_kernels
from alpha_models.bars import BarPanel
from alpha_models.feature_kernels import (
    cross_sectional_deviation,
    cross_sectional_rank,
    window_extreme,
    window_quantiles,
    window_rank,
    window_sum,
)
from alpha_models.feature_library import (
    FeatureLibraryConfig,
    close_quantile,
    close_rank,
    return_volume_correlation,
    trend_r2,
    trend_residual,
    trend_slope,
    up_volume_share,
    volume_ratio,
    vwap_distance,
)
from alpha_models.features import (
    FEATURE_SETS,
    FeatureConfig,
    FeatureDefinition,
    compute_features,
    default_features,
    feature_set,
)
from tests.unit.alpha_models.synthetic import random_walk_bars

BASIC_NAMES = (
    "return_1",
    "return_1_lag_1",
    "return_1_lag_2",
    "return_5",
    "momentum_20",
    "momentum_60",
    "rsi_14",
    "realized_volatility_20",
    "volume_zscore_20",
    "distance_from_moving_average_20",
    "high_low_range_5",
    "return_1_over_volatility",
)


def _panel(columns: dict[str, dict[str, list[float]]], start: str = "2020-01-06") -> BarPanel:
    """A panel from per-asset OHLCV lists (daily bars, closing at 16:00)."""
    frames = {}
    for asset, data in columns.items():
        times = pd.bdate_range(start, periods=len(data["close"]), name="time")
        frame = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in data.items()}, index=times)
        frame["end_time"] = times + pd.Timedelta(hours=16)
        frames[asset] = frame
    return BarPanel.from_frames(frames)


def _bars(close: list[float], volume: list[float] | None = None) -> dict[str, list[float]]:
    """Bars whose open, high and low equal the close (flat bars)."""
    return {
        "open": close,
        "high": close,
        "low": close,
        "close": close,
        "volume": volume if volume is not None else [1000.0] * len(close),
    }


@pytest.fixture(scope="module")
def walk() -> BarPanel:
    return BarPanel.from_frames(random_walk_bars(days=160, seed=11))


@pytest.fixture(scope="module")
def extended(walk: BarPanel) -> tuple[FeatureDefinition, ...]:
    return feature_set("extended", asset_count=len(walk.assets))


# ---------------------------------------------------------------- the named sets


def test_basic_set_is_the_default_twelve_and_computes_the_same_values(walk: BarPanel) -> None:
    assert FEATURE_SETS == ("basic", "extended")
    basic = feature_set("basic", asset_count=3)
    assert tuple(d.name for d in basic) == BASIC_NAMES
    assert tuple(d.name for d in default_features()) == BASIC_NAMES
    default = compute_features(walk)
    chosen = compute_features(walk, basic)
    np.testing.assert_array_equal(default.values, chosen.values)
    assert not any(d.cross_sectional for d in basic)


def test_extended_set_keeps_the_basic_columns_bit_for_bit(
    walk: BarPanel, extended: tuple[FeatureDefinition, ...]
) -> None:
    names = [d.name for d in extended]
    assert tuple(names[:12]) == BASIC_NAMES
    assert len(names) == len(set(names)) == 90
    full = compute_features(walk, extended)
    basic = compute_features(walk)
    np.testing.assert_array_equal(full.values[:, :, :12], basic.values)
    np.testing.assert_array_equal(full.available_at, walk.end_times_ns())
    families = (
        "candle_",
        "open_gap",
        "range_position_",
        "distance_from_high_",
        "distance_from_low_",
        "close_lower_quantile_",
        "close_rank_",
        "trend_slope_",
        "trend_r2_",
        "trend_residual_",
        "volume_ratio_",
        "volume_trend_",
        "return_volume_correlation_",
        "close_volume_correlation_",
        "vwap_distance_",
        "up_volume_share_",
        "cs_rank_",
        "cs_deviation_",
    )
    for family in families:
        assert any(name.startswith(family) for name in names), family
    # no library column repeats the math of a basic one under another name
    assert "return_20" not in names
    assert "return_60" not in names
    assert {"return_10", "realized_volatility_60", "high_low_range_20"} <= set(names)


def test_cross_sectional_features_are_absent_with_one_asset_and_refused_if_forced() -> None:
    one = feature_set("extended", asset_count=1)
    several = feature_set("extended", asset_count=2)
    assert not any(d.cross_sectional for d in one)
    across = [d for d in several if d.cross_sectional]
    assert len(across) == 13
    assert {d.name for d in across} >= {"cs_rank_return_1", "cs_deviation_momentum_20"}
    assert [d.name for d in several if not d.cross_sectional] == [d.name for d in one]
    single = BarPanel.from_frames(random_walk_bars(("ONLY",), days=80))
    assert compute_features(single, one).values.shape == (80, 1, 77)
    with pytest.raises(ValueError, match="more than one asset"):
        compute_features(single, [across[0]])
    with pytest.raises(ValueError, match="more than one asset"):
        across[0].function(single)
    with pytest.raises(ValueError, match="more than one asset"):
        cross_sectional_deviation(single.close)


def test_unknown_sets_windows_and_bases_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown feature set 'alpha158'"):
        feature_set("alpha158", asset_count=3)
    with pytest.raises(ValueError, match="at least 3"):
        FeatureLibraryConfig(windows=(2, 5))
    with pytest.raises(ValueError, match="distinct"):
        FeatureLibraryConfig(vwap_windows=(5, 5))
    with pytest.raises(ValueError, match="unknown feature 'momentum_20'"):
        # with a medium window of 30 the basic set has momentum_30, not momentum_20
        feature_set("extended", asset_count=3, config=FeatureConfig(medium_window=30))
    custom = feature_set(
        "extended",
        asset_count=3,
        config=FeatureConfig(medium_window=30),
        library=FeatureLibraryConfig(
            cross_sectional_rank=("momentum_30",), cross_sectional_deviation=()
        ),
    )
    assert [d.name for d in custom if d.cross_sectional] == ["cs_rank_momentum_30"]


# ---------------------------------------------------------------- hand-computed values


def _value(panel: BarPanel, definitions: tuple[FeatureDefinition, ...], name: str) -> np.ndarray:
    matrix = compute_features(panel, [d for d in definitions if d.name == name])
    return matrix.values[:, :, 0]


def test_candle_shape_by_hand() -> None:
    panel = _panel(
        {
            # bar 0: open 100, high 110, low 95, close 105; bar 1: a bad print whose
            # high is below its close; bar 2: a bar without range
            "AAA": {
                "open": [100.0, 104.0, 90.0],
                "high": [110.0, 106.0, 90.0],
                "low": [95.0, 103.0, 90.0],
                "close": [105.0, 107.0, 90.0],
                "volume": [1.0, 1.0, 1.0],
            }
        }
    )
    s = feature_set("extended", asset_count=1)
    assert _value(panel, s, "candle_open_to_close")[0, 0] == pytest.approx(math.log(1.05))
    assert _value(panel, s, "candle_range")[0, 0] == pytest.approx(math.log(110 / 95))
    assert _value(panel, s, "candle_body_share")[0, 0] == pytest.approx(5 / 15)
    assert _value(panel, s, "candle_upper_shadow")[0, 0] == pytest.approx(5 / 15)
    assert _value(panel, s, "candle_lower_shadow")[0, 0] == pytest.approx(5 / 15)
    assert _value(panel, s, "candle_close_position")[0, 0] == pytest.approx(10 / 15 - 0.5)
    assert _value(panel, s, "candle_upper_shadow_to_close")[0, 0] == pytest.approx(5 / 105)
    assert _value(panel, s, "candle_lower_shadow_to_close")[0, 0] == pytest.approx(5 / 105)
    gap = _value(panel, s, "open_gap")
    assert np.isnan(gap[0, 0])
    assert gap[1, 0] == pytest.approx(math.log(104 / 105))
    # the bad print: the high is widened to the close, so no negative shadow
    assert _value(panel, s, "candle_upper_shadow")[1, 0] == 0.0
    assert _value(panel, s, "candle_close_position")[1, 0] == pytest.approx(0.5)
    assert _value(panel, s, "candle_body_share")[1, 0] == pytest.approx(3 / 4)
    # a bar without range is neutral, not missing
    for name in ("candle_body_share", "candle_upper_shadow", "candle_close_position"):
        assert _value(panel, s, name)[2, 0] == 0.0


def test_position_in_the_range_and_trend_by_hand() -> None:
    close = [100.0, 102.0, 101.0, 104.0, 103.0]
    high = [101.0, 105.0, 102.0, 104.5, 103.5]
    low = [99.0, 101.0, 98.0, 103.0, 102.0]
    panel = _panel(
        {"AAA": {"open": close, "high": high, "low": low, "close": close, "volume": [1.0] * 5}}
    )
    s = feature_set("extended", asset_count=1)
    position = _value(panel, s, "range_position_5")
    assert np.isnan(position[:4, 0]).all()
    # lowest low 98, highest high 105: (103 - 98) / 7 - 0.5
    assert position[4, 0] == pytest.approx(5 / 7 - 0.5)
    assert _value(panel, s, "distance_from_high_5")[4, 0] == pytest.approx(math.log(103 / 105))
    assert _value(panel, s, "distance_from_low_5")[4, 0] == pytest.approx(math.log(103 / 98))

    # log closes 0, 0, 1, 0, 2: slope 0.4, R² 0.5, last residual 0.6 (worked by hand)
    bumpy = _panel({"AAA": _bars([math.exp(v) for v in (0.0, 0.0, 1.0, 0.0, 2.0)])})
    assert trend_slope(bumpy, 5).iloc[4, 0] == pytest.approx(0.4)
    assert trend_r2(bumpy, 5).iloc[4, 0] == pytest.approx(0.5)
    assert trend_residual(bumpy, 5).iloc[4, 0] == pytest.approx(0.6)
    # steady growth of 1 % a bar: slope 0.01, a perfect fit; flat: slope 0 and R² 0
    growth = _panel({"AAA": _bars([100 * math.exp(0.01 * t) for t in range(12)])})
    assert trend_slope(growth, 10).iloc[11, 0] == pytest.approx(0.01)
    assert trend_r2(growth, 10).iloc[11, 0] == pytest.approx(1.0)
    assert trend_residual(growth, 10).iloc[11, 0] == pytest.approx(0.0, abs=1e-12)
    flat = _panel({"AAA": _bars([50.0] * 6)})
    assert trend_slope(flat, 5).iloc[5, 0] == 0.0
    assert trend_r2(flat, 5).iloc[5, 0] == 0.0


def test_quantiles_and_rank_of_the_close_by_hand() -> None:
    panel = _panel({"AAA": _bars([10.0, 12.0, 11.0, 13.0, 12.0])})
    # closes sorted 10, 11, 12, 12, 13: the 20 % quantile lies at 0.8 of the way
    # from 10 to 11, the 80 % one at 0.2 from 12 to 13
    assert close_quantile(panel, 5, 0.2).iloc[4, 0] == pytest.approx(math.log(10.8 / 12))
    assert close_quantile(panel, 5, 0.8).iloc[4, 0] == pytest.approx(math.log(12.2 / 12))
    # 12 ties with one other 12 above two lower closes: average rank 3.5 of 5
    assert close_rank(panel, 5).iloc[4, 0] == pytest.approx((3.5 - 1) / 4 - 0.5)
    assert np.isnan(close_rank(panel, 5).iloc[:4, 0]).all()
    rising = _panel({"AAA": _bars([1.0, 2.0, 3.0, 4.0, 5.0])})
    assert close_rank(rising, 5).iloc[4, 0] == 0.5


def test_volume_features_by_hand() -> None:
    volume = [1.0, 2.0, 3.0, 4.0, 10.0]
    panel = _panel({"AAA": _bars([10.0, 11.0, 10.5, 10.8, 11.2], volume)})
    # log((1 + 10) / (1 + mean 4))
    assert volume_ratio(panel, 5).iloc[4, 0] == pytest.approx(math.log(11 / 5))
    # flat bars: the typical price is the close; VWAP over the last 2 bars
    vwap = (10.8 * 4 + 11.2 * 10) / 14
    assert vwap_distance(panel, 2).iloc[4, 0] == pytest.approx(math.log(11.2 / vwap))
    # returns of bars 1..4: up, down, up, up; volume of the last 3 bars: 3 (down), 4, 10
    assert up_volume_share(panel, 3).iloc[4, 0] == pytest.approx(14 / 17 - 0.5)
    assert np.isnan(up_volume_share(panel, 3).iloc[2, 0])

    # returns move with volume changes exactly: correlation 1; constant volume: 0
    log_volume = np.array([0.0, 0.3, 0.1, 0.5, 0.2, 0.6])
    closes = list(100 * np.exp(0.5 * log_volume))
    moving = _panel({"AAA": _bars(closes, list(np.expm1(10 + log_volume)))})
    assert return_volume_correlation(moving, 5).iloc[5, 0] == pytest.approx(1.0)
    steady = _panel({"AAA": _bars(closes, [500.0] * 6)})
    assert return_volume_correlation(steady, 5).iloc[5, 0] == 0.0
    silent = _panel({"AAA": _bars(closes, [0.0] * 6)})
    assert vwap_distance(silent, 3).iloc[5, 0] == 0.0
    assert up_volume_share(silent, 3).iloc[5, 0] == 0.0


def test_cross_sectional_rank_and_deviation_by_hand() -> None:
    frame = pd.DataFrame(
        {
            "A": [1.0, 2.0, np.nan, np.nan],
            "B": [3.0, 2.0, 5.0, np.nan],
            "C": [2.0, 4.0, 1.0, 7.0],
        }
    )
    rank = cross_sectional_rank(frame).to_numpy()
    np.testing.assert_allclose(rank[0], [-0.5, 0.5, 0.0])
    # ties share their average rank
    np.testing.assert_allclose(rank[1], [-0.25, -0.25, 0.5])
    # a missing asset stays missing and does not count
    assert np.isnan(rank[2, 0])
    np.testing.assert_allclose(rank[2, 1:], [0.5, -0.5])
    # a lone value at its time is in the middle
    assert np.isnan(rank[3, :2]).all()
    assert rank[3, 2] == 0.0
    deviation = cross_sectional_deviation(frame).to_numpy()
    np.testing.assert_allclose(deviation[0], [-1.0, 1.0, 0.0])
    np.testing.assert_allclose(deviation[2, 1:], [2.0, -2.0])
    assert deviation[3, 2] == 0.0

    panel = _panel(
        {
            "AAA": _bars([10.0, 11.0]),
            "BBB": _bars([10.0, 9.0]),
            "CCC": _bars([10.0, 10.5]),
        }
    )
    s = feature_set("extended", asset_count=3)
    np.testing.assert_allclose(_value(panel, s, "cs_rank_return_1")[1], [0.5, -0.5, 0.0])
    returns = np.log([1.1, 0.9, 1.05])
    np.testing.assert_allclose(
        _value(panel, s, "cs_deviation_return_1")[1], returns - returns.mean()
    )
    assert np.isnan(_value(panel, s, "cs_rank_return_1")[0]).all()


# ---------------------------------------------------------------- NaN at the start, missing bars


def test_every_feature_is_missing_before_its_warm_up_and_present_after(
    walk: BarPanel, extended: tuple[FeatureDefinition, ...]
) -> None:
    matrix = compute_features(walk, extended)
    for position, definition in enumerate(extended):
        assert definition.warm_up is not None, definition.name
        column = matrix.values[:, :, position]
        assert np.isnan(column[: definition.warm_up]).all(), definition.name
        assert np.isfinite(column[definition.warm_up :]).all(), definition.name
    assert max(d.warm_up or 0 for d in extended) == 60
    complete = matrix.complete_rows()
    assert not complete[:60].any()
    assert complete[60:].all()


def test_a_missing_bar_blanks_its_windows_only(extended: tuple[FeatureDefinition, ...]) -> None:
    frames = random_walk_bars(days=120, seed=5)
    gap = frames["BBB"].index[70]
    frames["BBB"] = frames["BBB"].drop(index=gap)
    panel = BarPanel.from_frames(frames)
    matrix = compute_features(panel, extended)
    names = list(matrix.names)
    bbb = panel.assets.index("BBB")

    def column(name: str) -> np.ndarray:
        return matrix.values[:, bbb, names.index(name)]

    # a 20-bar window holds the gap from bar 70 to 89, and is whole again at 90
    assert np.isnan(column("range_position_20")[70:90]).all()
    assert np.isfinite(column("range_position_20")[90:]).all()
    # the returns of bars 70 and 71 are missing: 20 returns are whole again from bar 91
    assert np.isnan(column("realized_volatility_20")[70:91]).all()
    assert np.isfinite(column("realized_volatility_20")[91:]).all()
    # the other assets keep every value, cross-sectional ones included
    others = [a for a in range(3) if a != bbb]
    assert np.isfinite(matrix.values[60:, others, :]).all()
    # BBB's missing value does not enter the others' rank at the gap
    rank = matrix.values[70, others, names.index("cs_rank_return_1")]
    assert sorted(rank) == [-0.5, 0.5]


def test_each_feature_alone_equals_the_same_feature_in_the_set(
    walk: BarPanel, extended: tuple[FeatureDefinition, ...]
) -> None:
    """Sharing intermediates inside one call changes no value."""
    together = compute_features(walk, extended)
    for position, definition in enumerate(extended):
        alone = compute_features(walk, [definition])
        np.testing.assert_array_equal(
            alone.values[:, :, 0], together.values[:, :, position], err_msg=definition.name
        )


def test_bounded_features_stay_in_their_bounds(
    walk: BarPanel, extended: tuple[FeatureDefinition, ...]
) -> None:
    matrix = compute_features(walk, extended)
    bounds = {
        "candle_body_share": (-1.0, 1.0),
        "candle_upper_shadow": (0.0, 1.0),
        "candle_lower_shadow": (0.0, 1.0),
        "candle_close_position": (-0.5, 0.5),
        "candle_upper_shadow_to_close": (0.0, np.inf),
        "candle_lower_shadow_to_close": (0.0, np.inf),
        "range_position_": (-0.5, 0.5),
        "close_rank_": (-0.5, 0.5),
        "distance_from_high_": (-np.inf, 0.0),
        "distance_from_low_": (0.0, np.inf),
        "trend_r2_": (0.0, 1.0),
        "return_volume_correlation_": (-1.0, 1.0),
        "close_volume_correlation_": (-1.0, 1.0),
        "up_volume_share_": (-0.5, 0.5),
        "cs_rank_": (-0.5, 0.5),
    }
    checked = 0
    for position, name in enumerate(matrix.names):
        for prefix, (low, high) in bounds.items():
            if name == prefix or (prefix.endswith("_") and name.startswith(prefix)):
                column = matrix.values[:, :, position]
                finite = column[np.isfinite(column)]
                assert finite.size > 0, name
                assert finite.min() >= low, name
                assert finite.max() <= high, name
                checked += 1
    assert checked == 41


def test_window_kernels_agree_with_pandas_on_gaps_and_ties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The numpy window passes give pandas's rolling results, NaN rules included."""
    # sort the windows a few rows at a time, as a large panel would be
    monkeypatch.setattr(feature_kernels, "_SORT_BLOCK_VALUES", 200)
    generator = np.random.default_rng(4)
    values = np.round(generator.normal(size=(90, 6)), 1)  # rounding makes ties
    values[generator.random(values.shape) < 0.04] = np.nan
    frame = pd.DataFrame(values)
    for window in (3, 7, 20):
        rolling = frame.rolling(window, min_periods=window)
        np.testing.assert_allclose(
            window_sum(values, window), rolling.sum().to_numpy(), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_array_equal(
            window_extreme(values, window, largest=True), rolling.max().to_numpy()
        )
        np.testing.assert_array_equal(
            window_extreme(values, window, largest=False), rolling.min().to_numpy()
        )
        np.testing.assert_array_equal(window_rank(values, window), rolling.rank().to_numpy())
        low, high = window_quantiles(values, window, (0.2, 0.8))
        np.testing.assert_allclose(low, rolling.quantile(0.2).to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(high, rolling.quantile(0.8).to_numpy(), rtol=1e-12)
    # fewer rows than the window: nothing but NaN
    assert np.isnan(window_rank(values[:4], 5)).all()
    assert np.isnan(window_quantiles(values[:4], 5, (0.5,))[0]).all()
