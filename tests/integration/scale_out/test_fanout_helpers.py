"""Splitting assets into groups, stable message ids, choosing the period's version, merging."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from alpha_models.registry import ModelVersion
from engines.forecast.fanout import (
    CycleSummary,
    GroupOutcome,
    asset_groups,
    data_time,
    merge_outcomes,
    period_version,
    stable_message_id,
)


def _version(
    name: str, valid_from: str, assets: tuple[str, ...], horizon: str = "1d"
) -> ModelVersion:
    return ModelVersion(
        version=name,
        model="lightgbm",
        horizon=horizon,
        training_start="2011-01-01T00:00:00",
        training_end="2012-01-01T00:00:00",
        last_label_end="2012-01-01T00:00:00",
        valid_from=valid_from,
        features=("r1",),
        assets=assets,
        data_hash="0",
        seed=0,
        params={},
        training_rows=600,
        prediction_scale=1.0,
    )


def test_groups_cover_every_asset_once_in_order() -> None:
    assets = [f"A{index}" for index in range(10)] + ["a3"]
    groups = asset_groups(assets, 4)
    assert [len(group) for group in groups] == [4, 4, 2]
    assert [asset for group in groups for asset in group] == assets[:10]


@pytest.mark.parametrize("size", [0, -3])
def test_group_size_below_one_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match="group_size"):
        asset_groups(["A"], size)


def test_message_ids_are_stable_per_cycle_and_key() -> None:
    assert stable_message_id("c1", "AAPL:1d") == stable_message_id("c1", "AAPL:1d")
    assert stable_message_id("c1", "AAPL:1d") != stable_message_id("c2", "AAPL:1d")
    assert stable_message_id("c1", "AAPL:1d") != stable_message_id("c1", "MSFT:1d")


def test_period_version_needs_the_same_period_horizon_and_assets() -> None:
    period = pd.Timestamp("2012-07-01")
    versions = [
        _version("old", "2012-04-01T00:00:00", ("A", "B")),
        _version("fewer", "2012-07-01T00:00:00", ("A",)),
        _version("other-horizon", "2012-07-01T00:00:00", ("A", "B"), horizon="4h"),
        _version("right", "2012-07-01T00:00:00", ("a", "B")),
    ]
    found = period_version(
        versions, model="lightgbm", horizon="1d", period=period, assets=["A", "b"]
    )
    assert found is not None
    assert found.version == "right"
    assert (
        period_version(
            versions[:3], model="lightgbm", horizon="1d", period=period, assets=["A", "B"]
        )
        is None
    )


def test_data_time_converts_to_the_exchange_zone_and_needs_an_aware_time() -> None:
    moment = dt.datetime(2012, 7, 17, 12, 0, tzinfo=dt.UTC)
    assert data_time(moment, "equity") == pd.Timestamp("2012-07-17 08:00")
    assert data_time(moment, "crypto") == pd.Timestamp("2012-07-17 12:00")
    with pytest.raises(ValueError, match="aware"):
        data_time(moment.replace(tzinfo=None), "equity")


def test_merge_counts_each_key_once_and_lists_what_is_missing() -> None:
    outcomes = [
        GroupOutcome(0, ("A:1d", "B:1d"), ()),
        GroupOutcome(1, ("C:1d",), ("D:1d",)),
        GroupOutcome(1, ("C:1d",), ("D:1d",)),
    ]
    summary = merge_outcomes(
        outcomes,
        horizon="1d",
        expected=["A:1d", "B:1d", "C:1d", "D:1d", "E:1d"],
        started=10.0,
        finished=12.5,
    )
    assert summary == CycleSummary("1d", 2, 3, ("D:1d", "E:1d"), 2.5)


def test_group_outcome_round_trips_and_rejects_malformed_documents() -> None:
    outcome = GroupOutcome(3, ("A:1d",), ("B:1d",))
    assert GroupOutcome.from_dict(outcome.to_dict()) == outcome
    with pytest.raises(ValueError, match="not a group outcome"):
        GroupOutcome.from_dict({"group_index": "3", "forecast": [], "missing": []})


def test_the_cycle_context_round_trips_the_newest_bars_of_every_asset() -> None:
    from engines.forecast.fanout import decode_context, encode_context

    times = pd.date_range("2024-01-01", periods=300, freq="D", name="time")
    frames = {}
    for number, symbol in enumerate(("AAA", "BBB")):
        frame = pd.DataFrame(
            {
                "open": 10.0 + number,
                "high": 11.0 + number,
                "low": 9.0,
                "close": pd.Series(range(300), index=times, dtype=float) + number,
                "volume": 1e6,
            },
            index=times,
        )
        frame["end_time"] = times + pd.Timedelta(hours=16)
        frames[symbol] = frame
    decoded = decode_context(encode_context(frames, bars=260))
    assert sorted(decoded) == ["AAA", "BBB"]
    for symbol, frame in frames.items():
        pd.testing.assert_frame_equal(decoded[symbol], frame.iloc[-260:], check_freq=False)
