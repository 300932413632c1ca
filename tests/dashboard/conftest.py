"""Fixtures: one seeded backend per test session, logged-in sessions, the app under AppTest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.clients.api import BackendClient, BackendSession
from dashboard.components.session import SESSION_KEY

from .backend_server import BackendServer, running_backend

APP_PATH = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
APP_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def backend() -> Iterator[BackendServer]:
    """The seeded backend (PostgreSQL database and bus namespace of its own)."""
    with running_backend() as server:
        yield server


@pytest.fixture
def api_url(backend: BackendServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the dashboard at the test backend."""
    monkeypatch.setenv("ATS_API_URL", backend.url)
    return backend.url


@pytest.fixture
def client(backend: BackendServer) -> Iterator[BackendClient]:
    api = BackendClient(base_url=backend.url)
    yield api
    api.close()


@pytest.fixture
def viewer(client: BackendClient, backend: BackendServer) -> BackendSession:
    return client.login(backend.viewer, backend.password)


@pytest.fixture
def operator(client: BackendClient, backend: BackendServer) -> BackendSession:
    return client.login(backend.operator, backend.password)


@pytest.fixture
def open_page(api_url: str) -> Callable[[BackendSession | None, str | None], AppTest]:
    """Run the app as ``session`` (None: logged out) and switch to ``page`` (e.g. ``risk``)."""

    def open_(session: BackendSession | None, page: str | None) -> AppTest:
        app = AppTest.from_file(str(APP_PATH), default_timeout=APP_TIMEOUT_SECONDS)
        if session is not None:
            app.session_state[SESSION_KEY] = session
        app.run()
        if page is not None:
            app.switch_page(f"app_pages/{page}.py")
            app.run()
        assert not app.exception, [item.value for item in app.exception]
        return app

    return open_


def texts(app: AppTest) -> str:
    """Every piece of text the page shows (markdown, captions, metrics, alerts, tables)."""
    parts: list[str] = []
    for collection in (app.title, app.subheader, app.markdown, app.caption, app.info,
                       app.success, app.warning, app.error):  # fmt: skip
        parts.extend(str(item.value) for item in collection)
    for metric in app.metric:
        parts.append(f"{metric.label}: {metric.value}")
    for frame in app.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)
