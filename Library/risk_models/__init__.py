"""LEAN library project ``risk_models``: its code is the package ``risk_models/`` inside this folder.

lean-cli puts this folder on Python's path for a project that links the library
(lean/components/config/lean_config_manager.py, ``get_complete_lean_config``), so there
``import risk_models`` finds the inner package and the folder adds no other top-level name
that could shadow a package in LEAN's image. Where only the folder above is on the path
(``/Library``, which lean-cli appends as well, or a project holding its libraries under
their names, as QuantConnect cloud does), this file is imported as ``risk_models`` instead:
it runs the inner package's ``__init__`` and looks up submodules there, so both routes
give the same modules.
"""

from pathlib import Path as _Path

_inner = _Path(__file__).resolve().parent / "risk_models"
__path__ = [str(_inner)]
exec(
    compile(
        (_inner / "__init__.py").read_text(encoding="utf-8"),
        str(_inner / "__init__.py"),
        "exec",
        dont_inherit=True,
    )
)
