"""Entry point: sign-in gate, then the pages this person may use (st.navigation, built per role)."""

from __future__ import annotations

import streamlit as st

from dashboard import overview_layout, signin

signin.page_setup()
session = signin.current_session()
if isinstance(session, signin.Session):
    # A page this person may not use does not exist for them: its URL falls back to the Usage page.
    pages = {"usage": st.Page("views/usage.py", title="Usage", icon=":material/bar_chart:", default=True)}
    if overview_layout.org_overview_allowed(session):
        pages[overview_layout.ORG_PATH] = st.Page(
            "views/org_overview.py",
            title="Org overview",
            icon=":material/table_view:",
            url_path=overview_layout.ORG_PATH,
        )
    if session.user.is_platform_admin:
        pages[overview_layout.PLATFORM_PATH] = st.Page(
            "views/platform_overview.py",
            title="Platform overview",
            icon=":material/monitoring:",
            url_path=overview_layout.PLATFORM_PATH,
        )
        pages["admin"] = st.Page("views/admin.py", title="Admin", icon=":material/admin_panel_settings:")
    page = st.navigation(list(pages.values()))
    signin.sidebar_identity(session)
    signin.resume(pages, page)
else:
    # Sign-in, fail-closed and configuration screens: every page's URL lands on them.
    page = st.navigation(signin.sign_in_pages(session, signin.PAGE_PATHS), position="hidden")
page.run()
