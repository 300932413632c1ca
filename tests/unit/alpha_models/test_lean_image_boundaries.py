"""The core runs inside LEAN's image: allowed imports only, and no clock."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import alpha_models

CORE = Path(alpha_models.__file__).parent
ALLOWED_ROOTS = {
    "numpy",
    "pandas",
    "sklearn",
    "lightgbm",
    "statsmodels",
    "scipy",
    "arch",
    "alpha_models",
    # The message contract (Horizon): a linked LEAN library that imports only the
    # standard library until a Redis transport connects.
    "signal_bus",
}
FORBIDDEN_LOADED = (
    "redis",
    "pydantic",
    "click",
    "rich",
    "structlog",
    "httpx",
    "django",
    "market_data",
    "ats",
    "AlgorithmImports",
)


def _core_files() -> list[Path]:
    return [path for path in CORE.rglob("*.py") if "lean" not in path.relative_to(CORE).parts]


def test_core_imports_only_what_leans_image_ships() -> None:
    for path in _core_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                assert root in ALLOWED_ROOTS or root in sys.stdlib_module_names, (
                    f"{path.name} imports {name}"
                )


def test_core_never_reads_the_clock() -> None:
    for path in _core_files():
        text = path.read_text()
        for call in (
            "datetime.now",
            "dt.datetime.now",
            "time.time(",
            "Timestamp.now",
            "date.today",
            "utcnow",
        ):
            assert call not in text, f"{path.name} reads the clock ({call})"


def test_importing_the_core_loads_no_application_package() -> None:
    modules = sorted(
        f"alpha_models.{path.relative_to(CORE).with_suffix('').as_posix().replace('/', '.')}"
        for path in _core_files()
        if path.name != "__init__.py"
    )
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {list(FORBIDDEN_LOADED)!r})))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    )
    assert json.loads(output.stdout) == []
