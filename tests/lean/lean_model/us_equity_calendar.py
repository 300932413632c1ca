"""US equity (``Equity-usa-[*]``) holidays and early closes, as facts from LEAN's
market-hours database (``Data/market-hours/market-hours-database.json``, entries
``holidays`` and ``earlyCloses``).

One list serves the model and the product: it lives in
``market_data.ingest.us_equity_calendar`` (the ingestion's gap and freshness calendar).
``test_market_hours`` checks it against the database when a copy is beside the project;
no test needs that copy.
"""

from __future__ import annotations

from market_data.ingest.us_equity_calendar import EARLY_CLOSES, HOLIDAYS

__all__ = ["EARLY_CLOSES", "HOLIDAYS"]
