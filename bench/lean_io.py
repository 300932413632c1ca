"""Time the LEAN data-folder reader and writer.

Usage::

    python bench/lean_io.py [SAMPLE_FOLDER] [--symbols 1000] [--bars 2500]

SAMPLE_FOLDER is a LEAN data folder with real files (default ``../shared/lean-sample``
relative to the repository root); it is skipped with a message when absent. A
synthetic daily set of ``symbols x bars`` US equity bars is always written and read
back. Figures are rows per second, best of a few repeats for the small files.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from market_data.lean import available, read_bars, write_bars

REPOSITORY = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = REPOSITORY.parent / "shared" / "lean-sample"


def best_seconds(action: Callable[[], object], *, repeats: int) -> float:
    """Fastest of ``repeats`` runs of ``action``, in seconds."""
    fastest = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        action()
        fastest = min(fastest, time.perf_counter() - began)
    return fastest


def bench_sample(folder: Path, repeats: int) -> None:
    """Read every series of a real LEAN folder, then write it into a fresh folder."""
    print(f"real LEAN files in {folder}")
    print(f"  {'series':<44}{'rows':>8}{'read rows/s':>14}{'write rows/s':>14}")
    for series in available(folder):
        arguments = {
            "security_type": series.security_type,
            "market": series.market,
            "symbol": series.symbol,
            "resolution": series.resolution,
        }
        bars = read_bars(folder, **arguments, bar_type=series.bar_type)
        read_time = best_seconds(
            lambda a=arguments, b=series.bar_type: read_bars(folder, **a, bar_type=b),
            repeats=repeats,
        )

        def write_fresh(a: dict[str, str] = arguments, b: pd.DataFrame = bars) -> None:
            with tempfile.TemporaryDirectory() as target:
                write_bars(target, b, **a)

        write_time = best_seconds(write_fresh, repeats=repeats)
        name = "/".join(
            [series.security_type, series.market, series.resolution, series.symbol, series.bar_type]
        )
        print(
            f"  {name:<44}{len(bars):>8,}{len(bars) / read_time:>14,.0f}{len(bars) / write_time:>14,.0f}"
        )


def synthetic_daily(symbols: int, bars: int, seed: int = 7) -> dict[str, pd.DataFrame]:
    """Random-walk daily equity bars with prices on whole deci-cents."""
    generator = np.random.default_rng(seed)
    days = pd.bdate_range("2010-01-04", periods=bars, name="time")
    frames = {}
    for number in range(symbols):
        close = 50.0 * np.exp(np.cumsum(generator.normal(0.0, 0.015, bars)))
        spread = np.abs(generator.normal(0.0, 0.01, bars)) * close
        open_ = close * (1 + generator.normal(0.0, 0.005, bars))
        frame = pd.DataFrame(
            {
                "open": open_,
                "high": np.maximum(open_, close) + spread,
                "low": np.minimum(open_, close) - spread,
                "close": close,
            },
            index=days,
        ).round(4)
        frame["volume"] = generator.integers(1_000, 10_000_000, bars).astype(np.float64)
        frames[f"s{number:04d}"] = frame
    return frames


def bench_synthetic(symbols: int, bars: int) -> None:
    """Write then read a synthetic daily set, one file per symbol."""
    frames = synthetic_daily(symbols, bars)
    rows = symbols * bars
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        for symbol, frame in frames.items():
            write_bars(
                folder,
                frame,
                security_type="equity",
                market="usa",
                symbol=symbol,
                resolution="daily",
            )
        write_time = time.perf_counter() - began
        began = time.perf_counter()
        for symbol in frames:
            read_bars(
                folder, security_type="equity", market="usa", symbol=symbol, resolution="daily"
            )
        read_time = time.perf_counter() - began
    print(f"synthetic daily set: {symbols:,} symbols x {bars:,} bars = {rows:,} rows")
    print(f"  write {write_time:6.2f} s  {rows / write_time:>12,.0f} rows/s")
    print(f"  read  {read_time:6.2f} s  {rows / read_time:>12,.0f} rows/s")


def main() -> None:
    """Parse arguments and run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sample", nargs="?", type=Path, default=DEFAULT_SAMPLE, help="LEAN folder with real files"
    )
    parser.add_argument("--symbols", type=int, default=1000)
    parser.add_argument("--bars", type=int, default=2500)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.sample.is_dir():
        bench_sample(arguments.sample, arguments.repeats)
    else:
        print(f"skipping the real-file benchmark: {arguments.sample} does not exist")
    bench_synthetic(arguments.symbols, arguments.bars)


if __name__ == "__main__":
    main()
