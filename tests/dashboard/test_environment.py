"""The dashboard's runtime dependencies load together with the project's pinned numpy."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_pyarrow_loads_with_the_pinned_numpy() -> None:
    # Streamlit serialises every table and chart through pyarrow; pyarrow 26 needs numpy 2, and 25 crashed reading tables back with numpy 1.26.
    try:
        import pyarrow
    except ImportError as error:
        pytest.fail(
            "Streamlit draws tables and charts through pyarrow, which does not load next to the "
            f"pinned numpy: {error}. Constrain pyarrow below 23 (22.0 is verified with numpy 1.26)."
        )
    table = pyarrow.table({"value": [1.0, 2.0]})
    assert table.to_pandas()["value"].sum() == pytest.approx(3.0)


def test_a_pyarrow_that_cannot_load_is_named() -> None:
    # A child interpreter where pyarrow cannot be imported, as with a numpy mismatch.
    script = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from dashboard.components.environment import drawing_support_problem\n"
        "print(drawing_support_problem())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pyarrow" in result.stdout
    assert result.stdout.strip() != "None"
