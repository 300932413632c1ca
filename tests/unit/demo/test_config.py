"""The demo's settings: the quick variant, validation, and run keys that keep runs apart."""

from __future__ import annotations

import datetime as dt

import pytest

from ats.demo.config import QUICK_SYMBOLS, DemoConfig


def test_quick_is_a_shorter_run_of_the_same_pipeline() -> None:
    full = DemoConfig()
    quick = full.quick()
    assert quick.symbols == QUICK_SYMBOLS
    assert quick.score_start > full.score_start
    assert quick.retrain_frequency == "quarterly"
    assert quick.data_folder == full.data_folder


def test_run_key_is_stable_and_tells_runs_apart() -> None:
    assert DemoConfig().run_key == DemoConfig().run_key
    keys = {
        DemoConfig().run_key,
        DemoConfig().quick().run_key,
        DemoConfig(model="ensemble").run_key,
        DemoConfig(seed=1).run_key,
        DemoConfig(score_start=dt.date(2006, 1, 3)).run_key,
    }
    assert len(keys) == 5


def test_unknown_model_or_schedule_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="lightgbm"):
        DemoConfig(model="xgboost")
    with pytest.raises(ValueError, match="monthly"):
        DemoConfig(retrain_frequency="hourly")
