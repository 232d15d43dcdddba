"""Platform overview: every LiteLLM team for a month, the riskiest first (platform admins)."""

from __future__ import annotations

import streamlit as st

from dashboard import overview_layout, signin

session = signin.require_session()
if not session.user.is_platform_admin:  # navigation already hides this page; refuse anyway
    st.stop()
month, refresh, as_of_slot = overview_layout.month_sidebar(session)
overview_layout.platform(session, month, refresh=refresh, as_of_slot=as_of_slot)
