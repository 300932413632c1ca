"""Cross-sectional evaluation: per-date rank IC, its bootstrap t, common variance, IC by year."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from engines.forecast.cross_section import (
    common_variance_share,
    cross_section_report,
    cross_sectional_ic,
    date_mean_t,
    ic_by_year,
    per_date_rank_ic,
)
from engines.forecast.evaluation import evaluate_forecasts
from risk_models.gates import GateConfig
from tests.unit.evaluation.panels import panel, write_panel


def _frame(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    """Rows of (time, symbol, prediction, forward_return)."""
    frame = pd.DataFrame(rows, columns=["time", "symbol", "prediction", "forward_return"])
    frame["time"] = pd.to_datetime(frame["time"])
    return frame


def _spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rho from the textbook formula (no ties): 1 - 6 sum d^2 / (n (n^2 - 1))."""
    rank_x = np.argsort(np.argsort(x)) + 1
    rank_y = np.argsort(np.argsort(y)) + 1
    n = len(x)
    return float(1 - 6 * np.sum((rank_x - rank_y) ** 2) / (n * (n * n - 1)))


def test_per_date_rank_ic_matches_a_hand_computation() -> None:
    day_one = ([0.3, 0.1, 0.2, 0.4], [0.02, -0.01, 0.03, 0.01])
    day_two = ([0.1, 0.2, 0.3, 0.4], [0.04, 0.03, 0.02, 0.01])
    rows = []
    for day, (predictions, outcomes) in (("2021-03-01", day_one), ("2021-03-02", day_two)):
        for symbol, prediction, outcome in zip("ABCD", predictions, outcomes, strict=True):
            rows.append((f"{day} 16:00", symbol, prediction, outcome))
    rows.append(("2021-03-03 16:00", "A", 0.5, 0.01))  # one asset: not a cross-section
    rows.append(("2021-03-03 16:00", "B", 0.1, math.nan))  # unresolved: left out
    table = per_date_rank_ic(_frame(rows))
    # day one: prediction ranks 3,1,2,4; outcome ranks 3,1,4,2; d^2 = 0+0+4+4 = 8
    assert table["rank_ic"].tolist() == pytest.approx([1 - 6 * 8 / 60, -1.0])
    assert table["rank_ic"].tolist() == pytest.approx([_spearman(*day_one), _spearman(*day_two)])
    assert table["assets"].tolist() == [4, 4]
    assert list(table.index) == [pd.Timestamp("2021-03-01 16:00"), pd.Timestamp("2021-03-02 16:00")]

    section = cross_sectional_ic(_frame(rows), config=GateConfig(bootstrap_samples=200))
    assert section["available"] is True
    assert section["dates"] == 2
    assert section["mean"] == pytest.approx((0.2 - 1.0) / 2)
    assert section["t_bootstrap"] is None  # two dates: too few for a t
    assert section["t_iid"] is None


def test_ties_get_average_ranks_and_a_date_without_spread_is_skipped() -> None:
    rows = [
        ("2021-03-01 16:00", "A", 0.1, 0.01),
        ("2021-03-01 16:00", "B", 0.1, 0.02),
        ("2021-03-01 16:00", "C", 0.3, 0.03),
        ("2021-03-02 16:00", "A", 0.2, 0.01),
        ("2021-03-02 16:00", "B", 0.2, 0.02),
        ("2021-03-02 16:00", "C", 0.2, 0.03),
    ]
    table = per_date_rank_ic(_frame(rows))
    ranks = pd.Series([1.5, 1.5, 3.0])
    expected = ranks.corr(pd.Series([1.0, 2.0, 3.0]))
    assert table["rank_ic"].iloc[0] == pytest.approx(expected)
    assert math.isnan(table["rank_ic"].iloc[1])
    section = cross_sectional_ic(_frame(rows))
    assert section["dates"] == 1
    assert section["dates_without_spread"] == 1


def _panel_of_date_effects(*, demeaned: bool) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = []
    for day in pd.bdate_range("2020-01-01", periods=40):
        market = rng.normal(0.0, 0.02)
        own = rng.normal(0.0, 0.01, size=5)
        returns = market + own + rng.normal(0.0, 0.01, size=5)
        for index, symbol in enumerate("ABCDE"):
            prediction = own[index] - own.mean() if demeaned else market
            rows.append((f"{day:%Y-%m-%d} 16:00", symbol, prediction, returns[index]))
    return _frame(rows)


def test_forecasts_equal_to_the_date_mean_are_all_common_variance() -> None:
    frame = _panel_of_date_effects(demeaned=False)
    share = common_variance_share(frame["prediction"], frame["time"])
    assert share == pytest.approx(1.0)
    report = cross_section_report(frame)
    assert report["common_variance_share"]["forecast"] == pytest.approx(1.0)
    # the realized returns carry a market factor with most of their variance, not all
    assert 0.5 < report["common_variance_share"]["realized"] < 0.95
    # nothing to rank on any date
    assert report["cross_sectional_rank_ic"]["available"] is False
    assert "do not vary across assets" in report["cross_sectional_rank_ic"]["reason"]
    assert report["cross_sectional_rank_ic"]["dates_without_spread"] == 40


def test_forecasts_demeaned_per_date_have_no_common_variance() -> None:
    frame = _panel_of_date_effects(demeaned=True)
    assert common_variance_share(frame["prediction"], frame["time"]) == pytest.approx(
        0.0, abs=1e-12
    )
    report = cross_section_report(frame)
    assert report["common_variance_share"]["forecast"] == pytest.approx(0.0, abs=1e-12)
    section = report["cross_sectional_rank_ic"]
    assert section["available"] is True
    assert section["dates"] == 40
    assert section["mean"] > 0.3  # the forecasts know each asset's own part


def test_common_share_is_between_over_total_on_a_hand_panel() -> None:
    # date 1: values 1, 3 (mean 2); date 2: values 5, 7 (mean 6); overall mean 4
    values = pd.Series([1.0, 3.0, 5.0, 7.0])
    times = pd.Series(["d1", "d1", "d2", "d2"])
    between = 2 * (2 - 4) ** 2 + 2 * (6 - 4) ** 2
    total = (1 - 4) ** 2 + (3 - 4) ** 2 + (5 - 4) ** 2 + (7 - 4) ** 2
    assert common_variance_share(values, times) == pytest.approx(between / total)
    assert common_variance_share(pd.Series([2.0, 2.0]), pd.Series(["d1", "d2"])) is None


def test_ic_by_year_splits_at_the_calendar_year() -> None:
    rows = []
    # 2020: predictions agree with outcomes on both dates; 2021: they are reversed
    for day, sign in (("2020-12-30", 1), ("2020-12-31", 1), ("2021-01-04", -1)):
        for index, symbol in enumerate("ABC"):
            rows.append((f"{day} 16:00", symbol, sign * (index + 1.0), index * 0.01))
    years = ic_by_year(_frame(rows))
    assert [row["year"] for row in years] == [2020, 2021]
    first, second = years
    assert (first["rows"], first["dates"]) == (6, 2)
    assert (second["rows"], second["dates"]) == (3, 1)
    assert first["cross_sectional_rank_ic"] == pytest.approx(1.0)
    assert second["cross_sectional_rank_ic"] == pytest.approx(-1.0)
    assert second["rank_ic"] == pytest.approx(-1.0)
    # 2020 pooled: both dates' identical rows tie pairwise, so the pooled ranks still agree
    assert first["rank_ic"] == pytest.approx(1.0)
    assert first["forecast_common_share"] == pytest.approx(0.0)


def test_an_autocorrelated_ic_series_gets_a_smaller_bootstrap_t_than_the_iid_t() -> None:
    rng = np.random.default_rng(8)
    dates = 1000
    config = GateConfig(bootstrap_samples=500, seed=1)
    persistent = np.zeros(dates)
    for index in range(1, dates):
        persistent[index] = 0.95 * persistent[index - 1] + rng.normal(0.0, 0.05)
    # a mean IC of 0.1 whose deviations persist for weeks: far fewer independent dates
    serial = date_mean_t(0.1 + persistent, config)
    assert serial.t_iid is not None
    assert serial.t_bootstrap is not None
    assert serial.stdev is not None
    assert serial.bootstrap_error is not None
    assert serial.block_length == 10  # cube root of 1000 dates
    assert serial.t_iid > 2.0
    assert 0.0 < serial.t_bootstrap < 0.5 * serial.t_iid
    assert serial.bootstrap_error > 2.0 * serial.stdev / math.sqrt(dates)

    independent = date_mean_t(0.02 + rng.normal(0.0, 0.15, size=dates), config)
    assert independent.t_iid is not None
    assert independent.t_bootstrap is not None
    assert independent.t_bootstrap == pytest.approx(independent.t_iid, rel=0.25)


def test_the_bootstrap_block_is_at_least_the_horizon() -> None:
    values = np.random.default_rng(2).normal(0.01, 0.1, size=64)
    assert date_mean_t(values, GateConfig(), horizon_bars=1).block_length == 4
    assert date_mean_t(values, GateConfig(), horizon_bars=7).block_length == 7


def test_one_asset_has_no_cross_section() -> None:
    rows = [(f"2021-03-0{day} 16:00", "AAA", 0.01 * day, 0.02 * (-1) ** day) for day in range(1, 8)]
    report = cross_section_report(_frame(rows))
    section = report["cross_sectional_rank_ic"]
    assert section["available"] is False
    assert section["reason"] == "one asset (AAA): no cross-section to rank"
    assert section["mean"] is None
    assert section["t_bootstrap"] is None
    assert section["dates"] == 0
    shares = report["common_variance_share"]
    assert shares["available"] is False
    assert shares["forecast"] is None
    assert shares["realized"] is None
    assert report["by_year"][0]["rows"] == 7
    assert report["by_year"][0]["rank_ic"] is not None
    assert report["by_year"][0]["cross_sectional_rank_ic"] is None


def test_two_assets_are_too_few_by_default_and_enough_when_allowed() -> None:
    rows = [
        (f"2021-03-0{day} 16:00", symbol, float(index + day % 2), float(index))
        for day in range(1, 6)
        for index, symbol in enumerate("AB")
    ]
    report = cross_section_report(_frame(rows))
    assert report["cross_sectional_rank_ic"]["reason"] == (
        "no date has at least 3 assets (at most 2)"
    )
    allowed = cross_section_report(_frame(rows), min_assets=2)
    assert allowed["cross_sectional_rank_ic"]["mean"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="min_assets"):
        cross_section_report(_frame(rows), min_assets=1)


def test_evaluate_forecasts_puts_the_cross_section_in_the_pooled_report_only() -> None:
    rng = np.random.default_rng(5)
    rows = []
    for day in pd.bdate_range("2020-06-01", periods=30):
        for symbol in "ABCD":
            outcome = rng.normal(0.0, 0.01)
            rows.append(
                (day + pd.Timedelta(hours=16), symbol, outcome + rng.normal(0, 0.01), outcome)
            )
    frame = pd.DataFrame(rows, columns=["time", "symbol", "prediction", "forward_return"])
    frame["confidence"] = 0.55
    frame["next_return"] = frame["forward_return"]
    gate_config = GateConfig(bootstrap_samples=300, block_length=5)
    report = evaluate_forecasts(
        frame,
        start=pd.Timestamp("2020-06-01"),
        end=None,
        entry_confidence=0.5,
        periods=252.0,
        settings={"horizon": "1d", "resolution": "daily", "security_type": "equity"},
        gates={"config": gate_config.to_dict()},
    )
    section = report.pooled["cross_sectional_rank_ic"]
    assert section["dates"] == 30
    assert section["block_length"] == 5  # the gates' bootstrap settings
    assert section["bootstrap_samples"] == 300
    assert section["mean"] == pytest.approx(per_date_rank_ic(frame)["rank_ic"].mean())
    assert [row["year"] for row in report.pooled["by_year"]] == [2020]
    assert "cross_sectional_rank_ic" not in report.per_symbol["A"]


@pytest.fixture(scope="module")
def lean_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    frames = panel(coefficient=0.3, bars=420, symbols=("AAA", "BBB", "CCC", "DDD"), seed=9)
    return write_panel(tmp_path_factory.mktemp("lean"), frames)


def _evaluate(folder: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli,
        [
            "forecast",
            "evaluate",
            "--data-folder",
            str(folder),
            "--symbols",
            "aaa,bbb,ccc,ddd",
            "--start",
            "2014-10-01",
            "--model",
            "sklearn",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_evaluate_json_reports_the_cross_section(lean_folder: Path) -> None:
    report = json.loads(_evaluate(lean_folder, "--json"))
    pooled = report["pooled"]
    section = pooled["cross_sectional_rank_ic"]
    assert section["available"] is True
    assert section["min_assets"] == 3
    assert section["mean_assets"] == pytest.approx(4.0)
    assert section["dates"] * 4 == pooled["n"]  # every scored date holds all four assets
    assert -1.0 <= section["mean"] <= 1.0
    assert isinstance(section["t_bootstrap"], float)
    assert isinstance(section["t_iid"], float)
    assert section["block_length"] >= 1
    shares = pooled["common_variance_share"]
    assert shares["rows"] == pooled["n"]
    assert 0.0 <= shares["forecast"] <= 1.0
    assert 0.0 <= shares["realized"] <= 1.0
    years = pooled["by_year"]
    assert [row["year"] for row in years] == [2014, 2015]
    assert sum(row["rows"] for row in years) == pooled["n"]
    assert sum(row["dates"] for row in years) == section["dates"]
    assert "by_year" not in report["per_symbol"]["aaa"]


def test_evaluate_text_prints_the_cross_section(lean_folder: Path) -> None:
    output = _evaluate(lean_folder)
    assert "per-date rank IC" in output
    assert "block bootstrap" in output
    assert "Variance common to the date" in output
    assert "IC by year" in output
