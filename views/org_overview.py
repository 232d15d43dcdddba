"""Org overview: every tenant the user can see for a month (owners, and members of more than one)."""

from __future__ import annotations

import streamlit as st

from dashboard import overview_layout, signin

session = signin.require_session()
if not overview_layout.org_overview_allowed(session):  # navigation already hides this page; refuse anyway
    st.stop()
month, refresh, as_of_slot = overview_layout.month_sidebar(session)
overview_layout.org(session, month, refresh=refresh, as_of_slot=as_of_slot)
