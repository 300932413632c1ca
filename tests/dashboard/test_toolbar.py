"""Users of the dashboard get no Streamlit developer tools (Deploy, Rerun, Clear cache).

Streamlit shows them to anyone who opens the app on localhost unless
``client.toolbarMode`` says otherwise; every way the dashboard starts sets ``viewer``.
The browser test (``test_dashboard_browser.py``) checks the page itself.
"""

from __future__ import annotations

import tomllib

import yaml
from streamlit import config as streamlit_config

from ats.demo.serve import dashboard_command

from .backend_server import ROOT


def test_the_installed_streamlit_knows_the_viewer_toolbar_mode() -> None:
    option = streamlit_config._config_options_template["client.toolbarMode"]
    assert '"viewer"' in (option.description or "")
    assert "deploy" in (option.description or "").lower()


def test_the_dashboards_config_file_hides_the_developer_tools() -> None:
    # Next to dashboard/app.py, so `streamlit run dashboard/app.py` reads it from any directory.
    settings = tomllib.loads((ROOT / "dashboard" / ".streamlit" / "config.toml").read_text())
    assert settings["client"]["toolbarMode"] == "viewer"


def test_the_demo_starts_the_dashboard_in_viewer_mode() -> None:
    command = dashboard_command(8501)
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"
    assert "dashboard/app.py" in command


def test_docker_compose_starts_the_dashboard_in_viewer_mode() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["dashboard"]["command"]
    assert "--client.toolbarMode=viewer" in command
