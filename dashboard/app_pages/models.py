"""Models: champions per asset group and horizon, every version, its gates and history.

Operators roll a champion back and change a version's status, each with a reason.
"""

import streamlit as st

from dashboard.components.data import (
    load_model_champions,
    load_model_version,
    load_model_versions,
)
from dashboard.components.errors import backend_errors
from dashboard.components.model_actions import rollback_control, show_notice, status_change_form
from dashboard.components.model_frames import ChampionRow, champion_rows, versions_frame
from dashboard.components.model_views import (
    champions_block,
    version_detail,
    version_picker,
    versions_table,
)
from dashboard.components.session import cache_identity, require_session

session = require_session()
identity = cache_identity(session)
st.title("Models")
show_notice()

with backend_errors():
    versions = load_model_versions(identity, session)
    champions = load_model_champions(identity, session)


def rollback(row: ChampionRow) -> None:
    with backend_errors():
        rollback_control(session, row)


champions_block(
    champion_rows(versions, champions), actions=rollback if session.is_operator else None
)
if not versions:
    st.stop()

st.subheader("Versions")
frame = versions_frame(versions)
picked = version_picker(frame, versions_table(frame))
with backend_errors():
    detail = load_model_version(identity, session, picked)
version_detail(detail)
if session.is_operator:
    with backend_errors():
        status_change_form(session, detail)
