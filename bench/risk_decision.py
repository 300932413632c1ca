"""Cost of one risk decision inside the engine: ``RiskMonitor`` input + ``evaluate``.

The risk engine evaluates on every input. Most inputs are forecasts and portfolio
snapshots, which change neither the price history nor the resolved forecasts, so the
monitor reuses each asset's volatility estimate and the skill score; a new price bar
makes it re-estimate that asset's volatility (a GARCH filter pass between refits, a
full fit when ``garch_refit_seconds`` has passed). This script measures the three
cases on a seeded market: ``--assets`` assets with ``--bars`` hourly bars of history
and a resolved forecast history, with and without GARCH.

* ``forecast``: ``on_forecast`` + ``evaluate`` (the common case);
* ``new_bar``: ``on_price`` adding a bar to one asset + ``evaluate``;
* ``refit``: ``evaluate`` when a GARCH refit has fallen due (GARCH only).

Usage::

    python bench/risk_decision.py [--assets 4] [--bars 250] [--repeat 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from risk_models.monitor import RiskMonitor, RiskMonitorConfig
from risk_models.parameters import StrategyParameters

HOUR = timedelta(hours=1)
START = datetime(2026, 1, 5, tzinfo=UTC)


def _warmed_monitor(
    assets: int, bars: int, use_garch: bool, seed: int
) -> tuple[RiskMonitor, datetime]:
    rng = np.random.default_rng(seed)
    monitor = RiskMonitor(RiskMonitorConfig(bar_seconds=3600.0, use_garch=use_garch))
    prices = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.01, size=(bars, assets)), axis=0)
    now = START
    for step in range(bars):
        now = START + step * HOUR
        for asset in range(assets):
            name = f"A{asset}"
            monitor.on_price(name, float(prices[step, asset]), now)
            monitor.on_forecast(
                name,
                "1h",
                float(rng.normal(0.0, 0.01)),
                0.55,
                made_at=now,
                horizon_length=HOUR,
            )
        monitor.on_portfolio(1.0 + 0.001 * step, now)
    return monitor, now


WARMUP = 200


def _time_us(action: Callable[[int], None], repeat: int, warmup: int = WARMUP) -> dict[str, float]:
    """Call ``action(0 .. warmup + repeat - 1)``; time the last ``repeat`` calls."""
    for index in range(warmup):
        action(index)
    samples: list[float] = []
    for index in range(warmup, warmup + repeat):
        started = time.perf_counter_ns()
        action(index)
        samples.append((time.perf_counter_ns() - started) / 1000.0)
    ordered = sorted(samples)
    return {
        "p50_us": round(statistics.median(ordered), 1),
        "p99_us": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 1),
        "mean_us": round(statistics.fmean(ordered), 1),
    }


def measure(assets: int, bars: int, repeat: int, use_garch: bool) -> dict[str, Any]:
    """Time the three cases for one configuration."""
    parameters = StrategyParameters()
    monitor, last = _warmed_monitor(assets, bars, use_garch, seed=7)
    monitor.evaluate(parameters, last)  # fit GARCH once, fill the caches
    rng = np.random.default_rng(11)
    noise = rng.normal(0.0, 0.01, size=repeat + WARMUP)

    def forecast(index: int) -> None:
        now = last + timedelta(seconds=index)
        monitor.on_forecast(
            f"A{index % assets}",
            "1h",
            float(noise[index]),
            0.55,
            made_at=now,
            horizon_length=HOUR,
        )
        monitor.evaluate(parameters, now)

    result: dict[str, Any] = {"forecast": _time_us(forecast, repeat)}

    # Refits are kept out of this case: the refit interval is pushed beyond the run.
    bar_parameters = parameters.replace(garch_refit_seconds=2_592_000.0)
    bar_times = [last + (index + 1) * HOUR for index in range(repeat + WARMUP)]
    price = [100.0]

    def new_bar(index: int) -> None:
        price[0] *= 1.0 + float(noise[index])
        monitor.on_price(f"A{index % assets}", price[0], bar_times[index])
        monitor.evaluate(bar_parameters, bar_times[index])

    result["new_bar"] = _time_us(new_bar, repeat)

    if use_garch:
        refit_parameters = bar_parameters.replace(garch_refit_seconds=0.0)
        moment = [bar_times[-1]]

        def refit(index: int) -> None:
            moment[0] += timedelta(seconds=1)
            monitor.evaluate(refit_parameters, moment[0])

        result["refit"] = _time_us(refit, max(20, repeat // 50), warmup=2)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Measure with and without GARCH and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assets", type=int, default=4)
    parser.add_argument("--bars", type=int, default=250, help="hourly bars of history per asset")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args(argv)
    if arguments.assets < 1 or arguments.bars < 30 or arguments.repeat < 1:
        parser.error("--assets >= 1, --bars >= 30 and --repeat >= 1")
    result = {
        "assets": arguments.assets,
        "bars": arguments.bars,
        "realized": measure(arguments.assets, arguments.bars, arguments.repeat, False),
        "garch": measure(arguments.assets, arguments.bars, arguments.repeat, True),
    }
    if arguments.json:
        print(json.dumps(result))
        return result
    print(f"{arguments.assets} assets x {arguments.bars} hourly bars")
    for mode in ("realized", "garch"):
        for case, figures in result[mode].items():
            print(
                f"{mode:9} {case:9} p50 {figures['p50_us']:9.1f} us   "
                f"p99 {figures['p99_us']:9.1f} us   mean {figures['mean_us']:9.1f} us"
            )
    return result


if __name__ == "__main__":
    main()
