"""The dashboard's runtime dependencies load together with the project's pinned numpy."""

from __future__ import annotations

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
