"""Failures as the pages show them (what failed, a reference, Retry) and the audit trail they write."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

import streamlit as st

from dashboard import text
from dashboard.signin import Session
from usage_core import audit, incidents
from usage_core.access import Scope
from usage_core.errors import UsageError
from usage_core.incidents import Incident
from usage_core.months import Month

_AUDITED_KEY = "_admin_view_logged"


@st.cache_resource(show_spinner=False, max_entries=1)
def _server_logger() -> None:
    """Make the incident and audit lines reach stderr when the host configured no logging."""
    for logger in (audit.LOGGER, incidents.LOGGER):
        logger.setLevel(logging.INFO)
        if not logger.handlers and not logging.getLogger().handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(message)s"))
            logger.addHandler(handler)


def failure(
    problem: UsageError,
    session: Session | None,
    *,
    where: str,
    key: str,
    context: Mapping[str, object] | None = None,
) -> Incident:
    """Log the details under a reference; show what failed, the reference, and Retry.

    A customer reads the public message only: it names no host, path, namespace or other org's
    tenant. A platform admin also reads the details, as literal text.
    """
    _server_logger()
    who: dict[str, object] = {}
    if session is not None:
        who = {"sub": session.user.sub, "org": session.user.org, "role": session.user.role.value}
    incident = incidents.record(problem, where=where, context={**who, **(context or {})})
    with st.container(border=True):
        text.error("{}", incident.public, icon=":material/cloud_off:")
        text.caption("Reference: {}", incident.reference)
        if session is not None and session.user.is_platform_admin:
            text.caption("Details (shown to platform admins only): {}", incident.detail)
        # Failures are never cached, so the rerun a click causes is the retry.
        st.button("Retry", key=key, icon=":material/refresh:")
    return incident


def audit_admin_view(session: Session, scope: Scope, month: Month) -> None:
    """Log a platform admin's view once per (scope, month) and session."""
    if not session.user.is_platform_admin:
        return
    seen = (scope, str(month))
    if st.session_state.get(_AUDITED_KEY) == seen:
        return
    _server_logger()
    audit.log_event("admin_view", session.user, scope, month)
    st.session_state[_AUDITED_KEY] = seen


def audit_admin_failure(
    session: Session, scope: Scope | None, month: Month | None, reference: str | None
) -> None:
    """Log a platform admin's view that failed, with the incident reference to join the error line."""
    if not session.user.is_platform_admin:
        return
    _server_logger()
    audit.log_event("admin_view", session.user, scope, month, outcome="error", reference=reference)
    st.session_state.pop(_AUDITED_KEY, None)  # the view shown after a retry is logged again


def audit_download(session: Session, scope: Scope, month: Month) -> None:
    """Log one CSV download (the download button's on_click)."""
    _server_logger()
    audit.log_event("csv_download", session.user, scope, month)


def audit_overview(
    session: Session,
    event: audit.Event,
    view: str,
    month: Month,
    *,
    outcome: audit.Outcome = "ok",
    reference: str | None = None,
) -> None:
    """Log a view or CSV download of an overview: it has no one scope, so `asked` names the overview."""
    _server_logger()
    audit.log_event(
        event, session.user, None, month, outcome=outcome, reference=reference, asked={"view": view}
    )
