"""Links that survive sign-in: write the asked-for view into a short-lived cookie, resume it after.

Streamlit's OIDC callback returns to the root URL and drops the query, and a page's script cannot
set a cookie, so a few lines of our own JavaScript write and clear it. The value is never read by
that script: Python reads it from the next session's request and parses it as untrusted input.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import streamlit as st

from dashboard import text
from usage_core.deep_link import DeepLink, deep_link, parse

RETURN_COOKIE = "usage_dashboard_return_to"
PERSONA_COOKIE = "usage_dashboard_demo_persona"
_MAX_AGE_SECONDS = 600  # long enough to sign in, short enough not to surprise a later visit
_ASKED_FOR = "_return_to_asked_for"
_RESUMED = "_return_to_resumed"


def _set_cookie(name: str, value: str | None, max_age: int) -> None:
    # Emitted on every run that needs it: a run can be superseded before the browser draws it, and
    # setting a cookie again is harmless.
    text.set_cookie(name, value or "", max_age)


def _clear_cookie(name: str) -> None:
    """Clear a cookie this session's browser sent (st.context.cookies is what it sent at the start)."""
    if name in st.context.cookies:
        _set_cookie(name, None, 0)


def remember(page: str, pages: Collection[str], *, across_redirect: bool) -> DeepLink | None:
    """On a sign-in screen: keep the view this URL asks for (or clear a stale one); return it.

    Only a sign-in that leaves the app (OIDC) needs the cookie; the demo's stays in this session.
    """
    link = deep_link(page, st.query_params.to_dict(), pages)
    st.session_state[_ASKED_FOR] = link
    if across_redirect and link is not None:
        _set_cookie(RETURN_COOKIE, link.encode(), _MAX_AGE_SECONDS)
    else:
        _clear_cookie(RETURN_COOKIE)  # a stale link from an abandoned sign-in must not be resumed
    return link


def pending(pages: Collection[str]) -> DeepLink | None:
    """After sign-in: the view to resume, once per session (the caller switches to it)."""
    if st.session_state.get(_RESUMED):
        _clear_cookie(RETURN_COOKIE)  # used once; the next sign-in starts clean
        return None
    st.session_state[_RESUMED] = True
    asked_for: DeepLink | None = st.session_state.pop(_ASKED_FOR, None)
    return asked_for or parse(st.context.cookies.get(RETURN_COOKIE), pages)


def remembered_persona(personas: Mapping[str, object]) -> str | None:
    """The demo persona this browser chose before a reload, if it is one of ours."""
    chosen = st.context.cookies.get(PERSONA_COOKIE)
    return chosen if chosen in personas else None


def keep_persona(persona: str | None) -> None:
    """Remember (or, with None, forget) the demo persona across reloads of this browser."""
    if persona is None:
        _set_cookie(PERSONA_COOKIE, None, 0)  # after Log out; this session may have set it itself
    elif st.context.cookies.get(PERSONA_COOKIE) != persona:
        _set_cookie(PERSONA_COOKIE, persona, 30 * 24 * 3600)
