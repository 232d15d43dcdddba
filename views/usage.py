"""Usage: one tenant's month (or, from an admin's link, one team's), chosen in the sidebar or the URL."""

from __future__ import annotations

import streamlit as st

from dashboard import data, problems, report_layout, signin, text
from usage_core import display
from usage_core.access import Outcome, visible_tenants
from usage_core.errors import UsageError
from usage_core.selection import select


def _on_tenant() -> None:
    st.query_params.pop("team", None)
    st.query_params.pop("key_alias", None)
    st.query_params["tenant"] = st.session_state["pick_tenant"]


def _on_month() -> None:
    st.query_params["month"] = str(st.session_state["pick_month"])


session = signin.require_session()
refresh = report_layout.refresh_asked()
try:
    tenants = data.tenants(session.settings)
except UsageError as problem:  # the tenant source is down, or not configured at all
    problems.failure(problem, session, where="tenant list", key="retry_tenants")
    st.stop()

selection = select(session.user, tenants, st.query_params.to_dict(), horizon=session.settings.months_horizon)
resolution, month = selection.resolution, selection.month
options = {t.name: t for t in visible_tenants(session.user, tenants)}
pickers, as_of_slot = report_layout.sidebar_slots()

for notice in selection.notices:  # they quote the URL: shown whole as text
    text.warning("{}", notice, icon=":material/link_off:")

waiting = False  # the report's lower part waits for the browser (dashboard/below_fold.py)
if resolution.outcome is Outcome.NO_TENANT:
    with st.container(border=True):
        text.subheader(":material/inbox: No active tenant found for your organization")
        text.caption("When your platform team sets up a tenant for you, its usage will appear here.")
elif resolution.scope is None:  # a tenant whose key is still being set up
    heading = (resolution.tenant.display_name,) if resolution.tenant else ("Usage",)
    report_layout.title_with_badges(heading, month, [display.BADGE_DEMO] if session.demo else [])
    text.info("{}", resolution.reason, icon=":material/hourglass_empty:")
else:
    scope = resolution.scope
    heading = display.heading(scope, resolution.tenant.display_name if resolution.tenant else None)
    waiting = report_layout.scoped(session, scope, heading, month, refresh=refresh, as_of_slot=as_of_slot)

# A run that waits for the browser leaves the URL as it came: the run that draws the whole page
# reads it again, so it shows the same notices about it; that run writes back what was selected.
if not waiting:
    st.query_params.from_dict(selection.params)
    with pickers:
        if options:
            st.session_state["pick_tenant"] = resolution.tenant.name if resolution.tenant else None
            st.selectbox(
                "Tenant",
                list(options),
                format_func=lambda name: text.option("{}", options[name].display_name),
                key="pick_tenant",
                on_change=_on_tenant,
                placeholder="A LiteLLM team (from the Admin page)",
            )
            report_layout.tenant_caption(resolution.tenant)
        report_layout.month_picker(month, session.settings.months_horizon, _on_month)
