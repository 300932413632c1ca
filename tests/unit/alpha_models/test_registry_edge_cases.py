"""Registry edge cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from alpha_models.errors import RegistryError
from alpha_models.registry import ModelRegistry


def test_registry_rejects_unsafe_names_and_unknown_versions(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    assert registry.versions() == []
    with pytest.raises(RegistryError, match="invalid model version"):
        registry.path_of("../escape")
    with pytest.raises(RegistryError, match="cannot read"):
        registry.metadata("missing")
    assert not registry.contains("missing")
