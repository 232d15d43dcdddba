"""Entry point: sign-in gate, then the pages this person may use (st.navigation, built per role)."""

from __future__ import annotations

import streamlit as st

from dashboard import signin

signin.page_setup()
session = signin.current_session()
if isinstance(session, signin.Session):
    pages = {"usage": st.Page("views/usage.py", title="Usage", icon=":material/bar_chart:", default=True)}
    if session.user.is_platform_admin:  # for anyone else the Admin page does not exist
        pages["admin"] = st.Page("views/admin.py", title="Admin", icon=":material/admin_panel_settings:")
    page = st.navigation(list(pages.values()))
    signin.sidebar_identity(session)
    signin.resume(pages, page)
else:
    # Sign-in, fail-closed and configuration screens: every page's URL lands on them.
    page = st.navigation(signin.sign_in_pages(session, signin.PAGE_PATHS), position="hidden")
page.run()
