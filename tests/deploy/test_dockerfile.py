"""docker/Dockerfile and .dockerignore, checked statically (no Docker engine needed)."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
from dataclasses import dataclass, field

import pytest

from tests.deploy.compose_model import DOCKERFILE, DOCKERIGNORE, REPOSITORY_ROOT

BUILD_TOOLS = {"build-essential", "gcc", "g++", "make", "clang", "cmake", "libpq-dev"}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        return [argument for name, argument in self.instructions if name == keyword]


def logical_lines(text: str) -> list[str]:
    """Dockerfile lines with continuations joined and comments dropped."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append(current + stripped)
        current = ""
    return lines


def parse_dockerfile() -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the build stages."""
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(DOCKERFILE.read_text()):
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages:
            name, _, default = rest.partition("=")
            arguments[name.strip()] = default.strip()
        elif keyword == "FROM":
            words = rest.split()
            base = re.sub(r"\$\{(\w+)\}", lambda match: arguments[match.group(1)], words[0])
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        else:
            assert stages, f"instruction before FROM: {line}"
            stages[-1].instructions.append((keyword, rest.strip()))
    return arguments, stages


def dockerignore_patterns() -> list[str]:
    return [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def is_ignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` (relative, with /) out of the build context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        if pattern.startswith("!"):
            raise AssertionError("negated patterns are not handled by this check")
        for prefix in prefixes:
            if fnmatch.fnmatchcase(prefix, pattern):
                return True
            if pattern.startswith("**/"):
                tail = pattern[3:]
                if any(fnmatch.fnmatchcase(part, tail) for part in prefix.split("/")):
                    return True
    return False


ARGUMENTS, STAGES = parse_dockerfile()
FINAL = STAGES[-1]


def test_build_is_multi_stage_on_python_311_slim() -> None:
    assert len(STAGES) >= 3
    builder = next(stage for stage in STAGES if stage.name == "builder")
    assert builder.base == FINAL.base
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", FINAL.base), FINAL.base


def test_uv_version_matches_the_makefile() -> None:
    makefile = (REPOSITORY_ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", makefile, re.MULTILINE)
    assert uv_version is not None
    assert ARGUMENTS["UV_IMAGE"] == f"ghcr.io/astral-sh/uv:{uv_version.group(1)}"


def test_builder_installs_the_locked_runtime_dependencies() -> None:
    builder = next(stage for stage in STAGES if stage.name == "builder")
    copies = " ".join(builder.arguments("COPY"))
    assert "uv.lock" in copies
    assert "pyproject.toml" in copies
    syncs = [run for run in builder.arguments("RUN") if "uv sync" in run]
    assert syncs
    for run in syncs:
        assert "--frozen" in run or "--locked" in run, run
        assert "--no-dev" in run, run


def test_final_stage_runs_as_an_unprivileged_user() -> None:
    users = FINAL.arguments("USER")
    assert users, "the final stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert any("useradd" in run and user in run for run in FINAL.arguments("RUN"))


def test_final_stage_has_no_compilers_and_copies_only_the_built_venv_and_source() -> None:
    installed: set[str] = set()
    for run in FINAL.arguments("RUN"):
        for command in run.split("&&"):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                installed |= {word for word in words[2:] if not word.startswith("-")}
    assert installed == {"libgomp1"}
    assert not installed & BUILD_TOOLS
    sources = [copy.split()[0] for copy in FINAL.arguments("COPY")]
    assert sources == ["--from=builder", "--from=builder"]
    assert "/opt/venv /opt/venv" in FINAL.arguments("COPY")[0]
    assert not any("uv" in run.split() for run in FINAL.arguments("RUN"))


def test_final_stage_has_an_entrypoint_and_a_health_check() -> None:
    entrypoint = FINAL.arguments("ENTRYPOINT")
    assert entrypoint == ['["/app/docker/entrypoint.sh"]']
    assert FINAL.arguments("HEALTHCHECK")
    mode = subprocess.run(
        ["git", "ls-files", "--stage", "docker/entrypoint.sh"],
        cwd=REPOSITORY_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert mode, "docker/entrypoint.sh is not committed"
    assert mode[0] == "100755", "docker/entrypoint.sh must be executable in git"


def test_copied_sources_exist_and_are_in_the_build_context() -> None:
    patterns = dockerignore_patterns()
    for stage in STAGES:
        for copy in stage.arguments("COPY"):
            words = [word for word in copy.split() if not word.startswith("--")]
            if copy.startswith("--from"):
                continue
            for source in words[:-1]:
                assert (REPOSITORY_ROOT / source).exists(), source
                assert not is_ignored(source, patterns), f"{source} is excluded by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        ".git",
        ".env",
        "data",
        "tests",
        "reports",
        "bench",
        "backend/db.sqlite3",
        "ats/__pycache__/x.pyc",
        ".mypy_cache",
    ],
)
def test_dockerignore_keeps_local_and_generated_files_out(path: str) -> None:
    assert is_ignored(path, dockerignore_patterns())


@pytest.mark.parametrize(
    "path",
    [
        "uv.lock",
        "pyproject.toml",
        "README.md",
        "Library/signal_bus/signal_bus/codec.py",
        "backend/wsgi.py",
        "dashboard/app.py",
        "docker/entrypoint.sh",
    ],
)
def test_dockerignore_keeps_what_the_build_needs(path: str) -> None:
    assert not is_ignored(path, dockerignore_patterns())
