"""Incremental market-data ingestion: plan, fetch, check, store, report (pure Python).

The engines and the backend call :func:`ingest` with a provider fetch and a
:class:`BarStore`; see ``market_data/README.md``.
"""

from market_data.ingest.calendar import CALENDARS, CRYPTO, US_EQUITY, ExchangeCalendar
from market_data.ingest.gaps import Gap, find_gaps
from market_data.ingest.lean_store import LeanFolderStore
from market_data.ingest.plan import DEFAULT_OVERLAP, IngestWindow, plan_window
from market_data.ingest.run import BarStore, Fetch, IngestReport, ingest
from market_data.ingest.validation import (
    RefusalReason,
    RefusedBar,
    ValidationResult,
    validate_bars,
)

__all__ = [
    "CALENDARS",
    "CRYPTO",
    "DEFAULT_OVERLAP",
    "US_EQUITY",
    "BarStore",
    "ExchangeCalendar",
    "Fetch",
    "Gap",
    "IngestReport",
    "IngestWindow",
    "LeanFolderStore",
    "RefusalReason",
    "RefusedBar",
    "ValidationResult",
    "find_gaps",
    "ingest",
    "plan_window",
    "validate_bars",
]
