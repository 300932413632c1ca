"""The one error the LEAN data-folder reader and writer raise."""

from __future__ import annotations


class LeanDataError(ValueError):
    """A LEAN data file is missing, malformed, or a request cannot be served.

    The message names the file (and the line, for a bad row) so the user can fix it.
    """
