"""``ats data import`` and ``ats data list`` end to end: real files, local HTTP servers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from ats.cli.main import cli
from market_data.lean import available, read_bars
from tests.unit.market_data.recorded_server import RecordedServer, Reply, Request, fixture, scripted
from tests.unit.market_data.test_binance_client import serve_klines


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["data", *arguments])
    return result.exit_code, result.output


def test_bundled_import_then_list(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    code, output = run(
        "import", "--source", "bundled", "--symbols", "aapl,msft", "--data-folder", str(folder)
    )
    assert code == 0, output
    assert "AAPL" in output
    assert "3,270" in output
    bars = read_bars(
        folder, security_type="equity", market="usa", symbol="AAPL", resolution="daily"
    )
    assert len(bars) == 3270
    # split-adjusted: no -50% day at AAPL's 2:1 split of 2000-06-21
    assert bars["close"].pct_change().loc["2000-06-21"] > -0.15
    code, output = run("list", "--data-folder", str(folder), "--details")
    assert code == 0, output
    assert "aapl" in output
    assert "msft" in output
    assert "2013-03-01" in output


def test_import_twice_merges_without_duplicates(tmp_path: Path) -> None:
    folder = str(tmp_path)
    run(
        "import",
        "--source",
        "bundled",
        "--symbols",
        "ibm",
        "--end",
        "2005-12-31",
        "--data-folder",
        folder,
    )
    code, output = run(
        "import",
        "--source",
        "bundled",
        "--symbols",
        "ibm",
        "--start",
        "2005-01-01",
        "--data-folder",
        folder,
    )
    assert code == 0, output
    bars = read_bars(folder, security_type="equity", market="usa", symbol="ibm", resolution="daily")
    assert len(bars) == 3270
    assert bars.index.is_unique


def test_csv_import(tmp_path: Path) -> None:
    csv = tmp_path / "eth.csv"
    csv.write_text(
        "time,open,high,low,close,volume\n2024-01-01 00:00,2281.87,2295.0,2278.11,2290.21,12.5\n"
    )
    code, output = run(
        "import",
        "--source",
        "csv",
        "--csv-path",
        str(csv),
        "--security-type",
        "crypto",
        "--market",
        "coinbase",
        "--resolution",
        "hour",
        "--symbols",
        "ethusd",
        "--data-folder",
        str(tmp_path / "data"),
    )
    assert code == 0, output
    bars = read_bars(
        tmp_path / "data",
        security_type="crypto",
        market="coinbase",
        symbol="ethusd",
        resolution="hour",
    )
    assert bars["close"].tolist() == [2290.21]


def test_binance_import_through_a_local_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with RecordedServer(serve_klines).running() as server:
        monkeypatch.setenv("BINANCE_BASE_URL", server.base_url)
        code, output = run(
            "import",
            "--source",
            "binance",
            "--symbols",
            "BTCUSDT,NOPE",
            "--resolution",
            "hour",
            "--start",
            "2018-05-01",
            "--end",
            "2018-05-01",
            "--data-folder",
            str(tmp_path),
        )
    assert code == 1
    assert "UnknownSymbolError" in output
    assert "import failed for NOPE (rows already written are kept)" in output
    bars = read_bars(
        tmp_path, security_type="crypto", market="binance", symbol="btcusdt", resolution="hour"
    )
    assert len(bars) == 5
    assert [s.symbol for s in available(tmp_path)] == ["btcusdt"]


def test_polygon_import_through_a_local_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = RecordedServer(scripted(Reply()))

    def pages(request: Request) -> Reply:
        assert request.headers["authorization"] == "Bearer local-test-key"
        if "cursor" in request.query:
            return Reply(200, fixture("polygon_aggs_aapl_day_page2.json"))
        text = json.dumps(fixture("polygon_aggs_aapl_day_page1.json")).replace(
            "{base_url}", server.base_url
        )
        return Reply(200, raw=text.encode())

    server.responder = pages
    monkeypatch.setenv("MARKET_DATA_API_KEY", "local-test-key")
    monkeypatch.setenv("POLYGON_BASE_URL", server.base_url)
    monkeypatch.setenv("POLYGON_REQUESTS_PER_MINUTE", "60000")
    with server.running():
        code, output = run(
            "import",
            "--source",
            "polygon",
            "--symbols",
            "AAPL",
            "--start",
            "2023-01-03",
            "--end",
            "2023-01-06",
            "--data-folder",
            str(tmp_path),
        )
    assert code == 0, output
    bars = read_bars(
        tmp_path, security_type="equity", market="usa", symbol="aapl", resolution="daily"
    )
    assert list(bars.index) == list(
        pd.to_datetime(["2023-01-03", "2023-01-04", "2023-01-05", "2023-01-06"])
    )
    assert bars["open"].iloc[0] == 130.28


def test_polygon_without_key_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKET_DATA_API_KEY", raising=False)
    code, output = run(
        "import",
        "--source",
        "polygon",
        "--symbols",
        "AAPL",
        "--start",
        "2023-01-03",
        "--data-folder",
        str(tmp_path),
    )
    assert code == 1
    assert "MARKET_DATA_API_KEY" in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--source", "bundled", "--resolution", "minute"], "daily US equity only"),
        (["--source", "bundled", "--symbols", "TSLA"], "has no TSLA"),
        (["--source", "binance", "--symbols", "BTCUSDT"], "needs --start"),
    ],
)
def test_bad_requests_exit_with_a_message(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    code, output = run("import", *arguments, "--data-folder", str(tmp_path / "data"))
    assert code == 1
    assert message in output
    assert not (tmp_path / "data").exists()


def test_list_of_an_empty_folder(tmp_path: Path) -> None:
    code, output = run("list", "--data-folder", str(tmp_path))
    assert code == 0
    assert "No equity or crypto bar files" in output


def test_bundled_import_reads_back_within_a_half_deci_cent(tmp_path: Path) -> None:
    from market_data.bundled import load_bundled_daily

    code, output = run("import", "--source", "bundled", "--data-folder", str(tmp_path))
    assert code == 0, output
    for symbol, expected in load_bundled_daily().items():
        back = read_bars(
            tmp_path, security_type="equity", market="usa", symbol=symbol, resolution="daily"
        )
        # LEAN stores equity prices in whole 1/10,000 dollars; a halved 4-decimal price
        # (13.56365) is rounded to the nearest one, nothing else changes
        pd.testing.assert_frame_equal(back, expected, check_exact=False, rtol=0, atol=0.5001e-4)
        assert (back["volume"] == expected["volume"]).all()
        assert (back["end_time"] == expected["end_time"]).all()
