"""Library folder ``risk_models``: hands over to the package of that name inside it.

Where only ``Library/`` is on the path this file is ``risk_models``; see algorithms/README.md.
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
