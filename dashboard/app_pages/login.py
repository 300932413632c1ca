"""Log in with the backend's JWT."""

import streamlit as st

from dashboard.components.login_form import login_form

st.title("Adaptive Trading System")
login_form()
