"""The repository root is a lean-cli workspace that ``lean cloud push`` can use as it is."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# lean-cli lean/components/util/organization_manager.py, get_organization: the working
# organization is "job-organization-id", else "organization-id"; OrganizationManager.
# configure_working_organization_id (called by lean/commands/init.py, init) writes both.
ORGANIZATION_KEYS = ("job-organization-id", "organization-id")
# lean-cli lean/commands/init.py, _get_organization_id: an organization id is 32 lower-case hex digits.
ORGANIZATION_ID = re.compile(r"[a-f0-9]{32}")


def organization_problems(config: dict[str, object]) -> list[str]:
    """Organization ids lean-cli would send to QuantConnect that cannot be a real organization.

    lean-cli lean/components/cloud/push_manager.py, PushManager.push_projects sends the working
    organization with every projects/create; a made-up id fails each library's creation and
    then the project's push (PushManager._get_local_libraries_cloud_ids reads no cloud-id).
    """
    problems: list[str] = []
    for key in ORGANIZATION_KEYS:
        if key not in config:
            continue
        value = config[key]
        if not isinstance(value, str) or ORGANIZATION_ID.fullmatch(value) is None:
            problems.append(f"{key}: {value!r} is not an organization id")
        elif len(set(value)) == 1:
            problems.append(f"{key}: {value!r} is a placeholder")
    present = [config[key] for key in ORGANIZATION_KEYS if key in config]
    if len(set(map(str, present))) > 1:
        problems.append("job-organization-id and organization-id differ")
    return problems


def test_lean_json_is_a_workspace_config_without_a_made_up_organization() -> None:
    # lean-cli lean/components/config/lean_config_manager.py, parse_json also drops // comments;
    # the committed file has none, so plain JSON must read it.
    config = json.loads((ROOT / "lean.json").read_text(encoding="utf-8"))
    assert config["data-folder"] == "data"
    # Read by LEAN's Common/Python/PythonInitializer.cs, ConfigurePythonPaths; lean-cli passes it
    # through for every project (LeanConfigManager.get_complete_lean_config).
    assert "/Library" in config["python-additional-paths"]
    assert organization_problems(config) == []
    assert organization_problems({"organization-id": "0" * 32}) == [
        f"organization-id: {'0' * 32!r} is a placeholder"
    ]
    assert organization_problems({"job-organization-id": "my-org"}) == [
        "job-organization-id: 'my-org' is not an organization id"
    ]
    real = "0123456789abcdef0123456789abcdef"
    assert organization_problems({"job-organization-id": real, "organization-id": real}) == []


def config_files_outside_lean_projects(root: Path) -> list[str]:
    """Every config.json under ``root`` that is not a LEAN project or library config.

    lean-cli lean/commands/cloud/push.py, push: without --project it pushes every folder holding a
    config.json anywhere under the current directory (Path.cwd().rglob), so each one must be a
    project config (lean-cli writes "algorithm-language" in ProjectManager.create_new_project).
    """
    stray: list[str] = []
    for folder, folders, files in os.walk(root):
        if ".git" in folders:
            folders.remove(".git")
        if "config.json" not in files:
            continue
        path = Path(folder) / "config.json"
        try:
            language = json.loads(path.read_text(encoding="utf-8")).get("algorithm-language")
        except (ValueError, AttributeError):
            language = None
        if language not in ("Python", "CSharp"):
            stray.append(path.relative_to(root).as_posix())
    return sorted(stray)


def test_no_stray_config_json_outside_lean_projects(tmp_path: Path) -> None:
    assert config_files_outside_lean_projects(ROOT) == []
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "config.json").write_text('{"algorithm-language": "Python"}')
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "config.json").write_text('{"debug": true}')
    assert config_files_outside_lean_projects(tmp_path) == ["settings/config.json"]


def _linked_libraries() -> list[dict[str, str]]:
    config = json.loads((ROOT / "algorithms" / "adaptive_forecast" / "config.json").read_text())
    libraries: list[dict[str, str]] = config["libraries"]
    return libraries


def test_each_library_folder_adds_only_its_own_name_to_leans_path() -> None:
    # lean-cli lean/components/config/lean_config_manager.py, get_complete_lean_config: every
    # linked library folder goes on python-additional-paths, ahead of the installed packages
    # (LEAN Common/Python/PythonInitializer.cs); what it holds becomes a top-level name.
    import pkgutil

    libraries = _linked_libraries()
    assert libraries
    for library in libraries:
        folder = ROOT / library["path"]
        names = {module.name for module in pkgutil.iter_modules([str(folder)])}
        assert names == {library["name"]}, f"{library['path']} puts {sorted(names)} on the path"


def test_the_libraries_import_the_same_with_only_the_library_root_on_the_path() -> None:
    # The /Library route (lean-cli appends it; a project holding its libraries under their
    # names): each folder's __init__ hands over to the package inside.
    import subprocess
    import sys
    import sysconfig

    script = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
        "import alpha_models.lean.forecast_selection as selection, signal_bus, risk_models.sizing\n"
        "assert signal_bus.ForecastUpdate.__module__ == 'signal_bus.messages'\n"
        "print(selection.__file__)\n"
    )
    outcome = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            script,
            str(ROOT / "Library"),
            sysconfig.get_path("purelib"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert outcome.returncode == 0, outcome.stderr
    expected = ROOT / "Library" / "alpha_models" / "alpha_models" / "lean" / "forecast_selection.py"
    assert Path(outcome.stdout.strip()) == expected
