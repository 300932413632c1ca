"""Run a LEAN Python project the way lean-cli lays it out in LEAN's container.

Usage: ``python -I -S container_view.py <project_dir> <workspace_root> <site_packages> <scenario>``.

Python starts isolated and without ``site`` (so the development install's path
entries are absent); the path then holds what lean-cli gives the algorithm: the
project folder, each linked library folder, ``Library/``, and the packages LEAN's
image ships. An import guard refuses every other top-level package the project or
its libraries try to import (``redis`` included: QuantConnect cloud has none), and
the test fake stands in for ``AlgorithmImports``. The scenario runs ``initialize``
and prints a JSON report.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

# What LEAN's image ships (ARCHITECTURE.md §2), by import name.
LEAN_IMAGE_PACKAGES = frozenset(
    {"numpy", "pandas", "sklearn", "scipy", "statsmodels", "lightgbm", "arch"}
)


# The project's application packages, which never reach LEAN's container.
PROJECT_PACKAGES = frozenset({"market_data", "engines", "backend", "ats", "dashboard"})


class LeanImageGuard(importlib.abc.MetaPathFinder):
    """Refuse imports made by project or library code of anything LEAN does not provide."""

    def __init__(self, local_paths: list[str]) -> None:
        self.local_paths = local_paths
        self.refused: list[str] = []

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in sys.stdlib_module_names or top in LEAN_IMAGE_PACKAGES or top in sys.modules:
            return None
        if importlib.machinery.PathFinder.find_spec(top, self.local_paths) is not None:
            return None
        if top != "redis" and not self._imported_by_local_code():
            return None  # a dependency of a shipped package importing its own dependencies
        self.refused.append(fullname)
        raise ImportError(f"{fullname} is not available in LEAN's image")

    def _imported_by_local_code(self) -> bool:
        frame = sys._getframe(2)
        while frame is not None:
            filename = frame.f_code.co_filename
            if not filename.startswith("<frozen") and filename != __file__:
                return any(filename.startswith(local) for local in self.local_paths)
            frame = frame.f_back  # type: ignore[assignment]
        return False


def load_fake(workspace: Path) -> ModuleType:
    """Import the LEAN model (it is the framework here, not project code) as AlgorithmImports."""
    sys.path.insert(0, str(workspace))
    try:
        module = importlib.import_module("tests.lean.lean_model.algorithm_imports")
    finally:
        sys.path.remove(str(workspace))
    sys.modules["AlgorithmImports"] = module
    # The model may use the project's own packages (its market calendar is
    # market_data's); LEAN's container has none of them, so the algorithm must not find
    # them already loaded.
    for name in [name for name in sys.modules if name.partition(".")[0] in PROJECT_PACKAGES]:
        del sys.modules[name]
    return module


def main() -> None:
    project, workspace, site_packages, scenario = sys.argv[1:5]
    project_dir, root = Path(project).resolve(), Path(workspace).resolve()
    config = json.loads((project_dir / "config.json").read_text(encoding="utf-8"))
    library_paths = [str(root / library["path"]) for library in config.get("libraries", [])]
    local_paths = [str(project_dir), *library_paths, str(root / "Library")]
    guard = LeanImageGuard(local_paths)
    sys.path.append(site_packages)
    fake = load_fake(root)  # before the guard: the model is the framework, not project code
    framework_modules = set(sys.modules)
    sys.path[:0] = local_paths
    sys.meta_path.insert(0, guard)

    spec = importlib.util.spec_from_file_location("main", project_dir / "main.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    algorithms = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, fake.QCAlgorithm)
        and value is not fake.QCAlgorithm
    ]
    report: dict[str, Any] = {"algorithms": [cls.__name__ for cls in algorithms]}
    algorithm = algorithms[0]()
    algorithm._parameters = dict(config.get("parameters", {}))
    if scenario == "recorded":
        algorithm._parameters["forecast_source"] = "recorded"
        algorithm.object_store.save(algorithm._parameters["forecasts_location"], sys.stdin.read())
    elif scenario == "command":
        algorithm._parameters["forecast_source"] = "command"
    algorithm.initialize()
    report["alpha"] = type(algorithm._alpha).__name__
    report["portfolio_construction"] = type(algorithm._portfolio_construction).__name__
    report["risk_management"] = [type(model).__name__ for model in algorithm._risk_management]
    report["execution"] = type(algorithm._execution).__name__
    report["assets"] = [str(symbol) for symbol in algorithm.assets]
    report["source"] = type(algorithm._alpha.source).__name__
    report["scheduled_training"] = len(algorithm._schedule._events)
    if scenario == "command":
        payload = sys.stdin.read()
        report["command_accepted"] = algorithm.on_command(
            {"channel": "forecast_updates", "payload": payload}
        )
        report["command_refused"] = algorithm.on_command({"channel": "orders", "payload": payload})
        report["forecasts_in_inbox"] = len(algorithm.inbox.forecasts())
    report["refused_imports"] = guard.refused
    report["redis_loaded"] = "redis" in sys.modules
    report["outside_modules"] = sorted(
        name
        for name, loaded in sys.modules.items()
        if getattr(loaded, "__file__", None)
        and str(root) in str(loaded.__file__)
        and not any(
            str(loaded.__file__).startswith(local) for local in [*local_paths, site_packages]
        )
        and name != "AlgorithmImports"
        and name not in framework_modules
        and str(loaded.__file__) != __file__
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
