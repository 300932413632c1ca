"""Run every benchmark with ``--json`` and collect the figures in ``bench/results/latest.json``.

Usage: ``python bench/run_all.py [name ...]`` (names as in ``BENCHMARKS``; default all).
Each benchmark is its own script and can be run alone; see bench/README.md for what each
measures and the latest figures. Benchmarks need PostgreSQL and Redis on localhost, like
the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# name -> (script, extra arguments)
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "bus_latency": ("bus_latency.py", []),
    "lean_io": ("lean_io.py", []),
    "forecast_cycle": ("forecast_cycle.py", []),
    "forecast_retrain": ("forecast_retrain.py", []),
    "risk_latency": ("risk_latency.py", []),
    "risk_decision": ("risk_decision.py", []),
    "alpha_latency": ("alpha_latency.py", []),
    "backend_ingest": ("backend_ingest.py", []),
    "backend_api": ("backend_api.py", []),
    "dashboard_render": ("dashboard_render.py", []),
    "forecast_scale_out": ("forecast_scale_out.py", []),
    "promotion_gates": ("promotion_gates.py", []),
    "feature_library": ("feature_library.py", []),
    "ingest_bars": ("ingest_bars.py", []),
    "gateway_latency": ("gateway_latency.py", []),
}


def run(name: str) -> dict[str, object]:
    """Run one benchmark and return its JSON figures (or the error it ended with)."""
    script, arguments = BENCHMARKS[name]
    path = BENCH / script
    if not path.is_file():
        return {"error": f"{script} is missing"}
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, str(path), "--json", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1:] or ["failed"], "seconds": elapsed}
    output = result.stdout.strip()
    try:
        figures = json.loads(output)
    except json.JSONDecodeError:
        try:
            figures = json.loads(output.splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            return {"error": "the output is not one JSON object", "seconds": elapsed}
    return {"figures": figures, "seconds": elapsed}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    results: dict[str, object] = {}
    for name in names:
        print(f"== {name}", flush=True)
        results[name] = outcome = run(name)
        print(json.dumps(outcome, indent=2, default=str), flush=True)
    out = BENCH / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"figures written to {out.relative_to(ROOT)}")
    failed = [
        name
        for name, outcome in results.items()
        if isinstance(outcome, dict) and "error" in outcome
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
