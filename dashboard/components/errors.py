"""Turn backend errors into clear messages on the page instead of tracebacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from dashboard.clients.errors import (
    BackendUnavailable,
    NotFound,
    PermissionDenied,
    SessionExpired,
    ValidationFailed,
)

from .session import session_end

UNAVAILABLE_TITLE = "The backend is unavailable"


@contextmanager
def backend_errors() -> Iterator[None]:
    """Show what went wrong when the backend fails, then stop the page (or the fragment)."""
    try:
        yield
    except SessionExpired as error:
        session_end(str(error))
        st.warning(f"{error} Open the login page from the menu.")
        st.stop()
    except BackendUnavailable as error:
        st.error(
            f"{UNAVAILABLE_TITLE}. {error} Check that it runs and that ATS_API_URL points to it."
        )
        st.stop()
    except PermissionDenied as error:
        st.error(f"Not allowed: {error}")
        st.stop()
    except NotFound as error:
        st.error(f"Not found: {error}")
        st.stop()
    except ValidationFailed as error:
        st.error(f"The backend rejected the input: {error}")
        st.stop()
