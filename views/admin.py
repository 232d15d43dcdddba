"""Admin: any LiteLLM team (optionally one key alias), or any tenant of any org; every view is audited."""

from __future__ import annotations

import streamlit as st

from dashboard import data, health, problems, report_layout, signin, text
from usage_core import display
from usage_core.access import visible_tenants
from usage_core.errors import UsageError
from usage_core.litellm import TeamSummary
from usage_core.selection import select

TEAM, TENANT = "LiteLLM team", "Tenant"
WHOLE_TEAM = ""


def _on_mode() -> None:
    month = st.query_params.get("month")
    st.query_params.clear()
    if month:
        st.query_params["month"] = month
    st.session_state["admin_mode_next"] = st.session_state["admin_mode"]


def _on_team() -> None:
    st.query_params.pop("key_alias", None)
    st.query_params.pop("tenant", None)
    st.query_params["team"] = st.session_state["pick_team"]


def _on_alias() -> None:
    alias = st.session_state["pick_alias"]
    if alias:
        st.query_params["key_alias"] = alias
    else:
        st.query_params.pop("key_alias", None)


def _on_tenant() -> None:
    st.query_params.pop("team", None)
    st.query_params.pop("key_alias", None)
    st.query_params["tenant"] = st.session_state["pick_admin_tenant"]


def _on_month() -> None:
    st.query_params["month"] = str(st.session_state["pick_month"])


def _team_label(teams: dict[str, TeamSummary], team_id: str) -> str:
    return text.team_option(team_id, teams[team_id].alias if team_id in teams else None)


def _alias_label(alias: str) -> str:
    return text.option("{}", alias) if alias else text.option("Whole team (company-wide)")


session = signin.require_session()
if not session.user.is_platform_admin:  # navigation already hides this page; refuse anyway
    st.stop()
config = session.settings
refresh = report_layout.refresh_asked()
params = st.query_params.to_dict()
if params.get("tenant"):
    mode = TENANT
elif params.get("team"):
    mode = TEAM
else:
    mode = st.session_state.get("admin_mode_next", TEAM)

text.caption(
    "Look at any LiteLLM team, one key alias of it, or any tenant of any organization. "
    "Every view is written to the audit log."
)
st.session_state["admin_mode"] = mode
st.segmented_control("View", [TEAM, TENANT], key="admin_mode", on_change=_on_mode)
pickers = st.container(horizontal=True)
try:
    if mode == TEAM:
        teams = {t.team_id: t for t in data.teams(config)}
        if not params.get("team") and teams:
            params["team"] = next(iter(teams))
        tenants = []
    else:
        tenants = list(data.tenants(config))
except UsageError as problem:
    where = "team list" if mode == TEAM else "tenant list"
    incident = problems.failure(problem, session, where=where, key="retry_admin")
    problems.audit_admin_failure(session, None, None, incident.reference)
    st.stop()

selection = select(session.user, tenants, params, horizon=session.settings.months_horizon)
resolution, month, scope = selection.resolution, selection.month, selection.resolution.scope

with pickers:
    if mode == TEAM:
        team_ids = list(teams)
        if scope is not None and scope.team_id not in teams:
            team_ids.append(scope.team_id)  # a linked team LiteLLM did not list: still viewable
        st.session_state["pick_team"] = scope.team_id if scope else None
        st.selectbox(
            "Team",
            team_ids,
            format_func=lambda t: _team_label(teams, t),
            key="pick_team",
            on_change=_on_team,
        )
        if scope is not None:
            try:
                aliases = [WHOLE_TEAM, *data.key_aliases(config, scope.team_id)]
            except UsageError:  # the report below says what failed
                aliases = [WHOLE_TEAM]
            if scope.key_alias and scope.key_alias not in aliases:
                aliases.append(scope.key_alias)
            st.session_state["pick_alias"] = scope.key_alias or WHOLE_TEAM
            st.selectbox(
                "Key alias",
                aliases,
                format_func=_alias_label,
                key="pick_alias",
                on_change=_on_alias,
            )
    else:
        everyone = {t.name: t for t in visible_tenants(session.user, tenants)}
        st.session_state["pick_admin_tenant"] = resolution.tenant.name if resolution.tenant else None
        st.selectbox(
            "Tenant",
            list(everyone),
            format_func=lambda n: text.option("{} · {}", everyone[n].display_name, everyone[n].org_id),
            key="pick_admin_tenant",
            on_change=_on_tenant,
        )
month_slot, as_of_slot = report_layout.sidebar_slots()

for notice in selection.notices:  # they quote the URL: shown whole as text
    text.warning("{}", notice, icon=":material/link_off:")
waiting = False
if scope is None:
    if mode == TENANT:
        text.info("{}", resolution.reason, icon=":material/inbox:")
    else:
        text.info("LiteLLM lists no teams.", icon=":material/inbox:")
else:
    team_name = teams[scope.team_id].alias if mode == TEAM and scope.team_id in teams else None
    text.info("{}", display.admin_banner(scope, month, team_name), icon=":material/shield_person:")
    tenant_name = resolution.tenant.display_name if resolution.tenant else None
    heading = display.heading(scope, tenant_name, team_name)
    waiting = report_layout.scoped(session, scope, heading, month, refresh=refresh, as_of_slot=as_of_slot)
# A run that waits for the browser (dashboard/below_fold.py) leaves the URL and the chosen mode to
# the run that draws the whole page, and holds the month picker back with the report's lower part.
if not waiting:
    st.session_state.pop("admin_mode_next", None)
    st.query_params.from_dict(selection.params)
    with month_slot:
        report_layout.month_picker(month, session.settings.months_horizon, _on_month)
health.source_health(session)
