# Two commands on a fresh machine: `make run` (the main job on embedded defaults) and
# `make test` (lint, types, tests). Both install what they need first.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint typecheck pytest bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

install: $(VENV)/.installed  ## Create .venv from the lock file.

run: install  ## The main job on embedded defaults.
	$(BIN)/ats demo

lint: install  ## ruff, and the import floors (import-linter's layers contract in pyproject.toml).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install  ## mypy: --strict on the cores and the dashboard, LEAN code against quantconnect-stubs, the backend with django-stubs.
	$(BIN)/mypy
	$(BIN)/mypy --config-file mypy.lean.ini
	$(BIN)/mypy --config-file mypy.backend.ini

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest  ## ruff, mypy, pytest.

bench: install  ## Benchmarks; figures go to bench/README.md.
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS) .mypy_cache .pytest_cache .ruff_cache
