"""Write hand-made LEAN zip files for tests (the raw text, exactly as LEAN stores it)."""

from __future__ import annotations

import zipfile
from pathlib import Path


def write_zip(path: Path, entry: str, text: str) -> Path:
    """Create ``path`` holding one CSV entry with ``text``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry, text)
    return path


def read_zip(path: Path) -> tuple[list[str], str]:
    """Entry names and the text of the first entry."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        return names, archive.read(names[0]).decode("utf-8")
