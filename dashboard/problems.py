"""Error boxes and the admin audit trail, as the pages show and write them."""

from __future__ import annotations

import logging
import sys

import streamlit as st

from dashboard.signin import Session
from usage_core import audit
from usage_core.access import Scope
from usage_core.errors import UpstreamError
from usage_core.months import Month

_AUDITED_KEY = "_admin_view_logged"


def upstream_error(problem: UpstreamError, *, key: str) -> None:
    """A calm error box with Retry; the message is safe to show (no secrets, no traceback)."""
    with st.container(border=True):
        st.error("We could not load usage data right now.", icon=":material/cloud_off:")
        st.caption(str(problem))
        # Failures are never cached, so the rerun a click causes is the retry.
        st.button("Retry", key=key, icon=":material/refresh:")


@st.cache_resource(show_spinner=False)
def _audit_logger() -> logging.Logger:
    logger = audit.LOGGER
    logger.setLevel(logging.INFO)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    return logger


def audit_admin_view(session: Session, scope: Scope, month: Month) -> None:
    """Log a platform admin's view once per (scope, month) and session."""
    if not session.user.is_platform_admin:
        return
    seen = (scope, str(month))
    if st.session_state.get(_AUDITED_KEY) == seen:
        return
    audit.log_event("admin_view", session.user, scope, month, logger=_audit_logger())
    st.session_state[_AUDITED_KEY] = seen
