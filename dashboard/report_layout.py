"""Rendering one UsageReport (shared by the Usage and Admin pages); no data access, no rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import data, problems, text
from dashboard.signin import Session
from usage_core import charts, display
from usage_core.access import Scope
from usage_core.errors import TeamNotFound, UsageError
from usage_core.months import Month
from usage_core.reports import Budget, UsageReport, build_report
from usage_core.tenants import Tenant

BADGE_STYLE = {
    display.BADGE_COMPANY_WIDE: ("orange", ":material/domain:"),
    display.BADGE_ADMIN: ("violet", ":material/shield_person:"),
    display.BADGE_DEMO: ("gray", ":material/science:"),
}
MONTHS_OFFERED = 13
_REFRESHED_AT = "_refreshed_at"


def month_options(selected: Month) -> list[Month]:
    """This month and the twelve before it, plus an older month the URL asked for."""
    options = Month.current().recent(MONTHS_OFFERED)
    return options if selected in options else [*options, selected]


def tenant_caption(tenant: Tenant | None) -> None:
    """The tenant's id (the URL's ?tenant=) beneath the picker."""
    if tenant is not None:
        text.caption("{} · org {}", tenant.name, tenant.org_id, limit=text.LABEL_CHARS)


def title_with_badges(heading: Sequence[str], month: Month, labels: Sequence[str]) -> None:
    """Title (display.heading's parts, each shortened on its own) and badges."""
    if len(heading) == 1:
        text.title("{} - {}", heading[0], month.label)
    else:
        team, key_alias = heading
        text.title("{} · {} - {}", team, key_alias, month.label, limit=text.TITLE_CHARS // 2)
    if labels:
        with st.container(horizontal=True, gap="small"):
            for label in labels:
                color, icon = BADGE_STYLE.get(label, ("blue", None))
                text.badge(label, icon=icon, color=color)


def _kpis(report: UsageReport) -> None:
    totals = report.totals
    spend, inp, out, req = st.columns(4)
    with spend:
        text.metric(
            "Spend (USD)",
            display.usd(totals.spend),
            help=text.md("Exactly {}", display.usd_exact(totals.spend)),
            border=True,
        )
    with inp:
        text.metric("Input tokens", display.count(totals.input_tokens), border=True)
    with out:
        text.metric("Output tokens", display.count(totals.output_tokens), border=True)
    with req:
        text.metric(
            "Requests",
            display.count(totals.requests),
            delta=f"{display.count(totals.failed_requests)} failed",
            delta_color="off",
            delta_arrow="off",
            border=True,
        )


def _budget_card(heading: str, budget: Budget, key: str) -> None:
    with st.container(border=True, height="stretch"):
        text.markdown("**{}**", heading)
        if budget.max_budget is None:
            text.markdown("### No budget set")
            text.caption("{} spent so far · no limit applies", display.usd(budget.spend))
            return
        st.plotly_chart(charts.budget_gauge(budget), key=key, config={"displayModeBar": False})
        text.caption("{} · {}", display.budget_summary(budget), display.resets(budget))


def _limits_card(report: UsageReport) -> None:
    limits = report.rate_limits
    with st.container(border=True, height="stretch"):
        text.markdown("**Rate limits**")
        text.metric("Requests per minute", display.limit(limits.rpm, "rpm"))
        text.metric("Tokens per minute", display.limit(limits.tpm, "tpm"))


def _budgets(report: UsageReport) -> None:
    cards = 3 if report.key_budget is not None else 2
    columns = st.columns(cards)
    with columns[0]:
        _budget_card("Company budget", report.budget, "gauge_company")
    if report.key_budget is not None:
        with columns[1]:
            _budget_card("This tenant's key budget", report.key_budget, "gauge_key")
    with columns[-1]:
        _limits_card(report)


def _charts(report: UsageReport) -> None:
    plain = {"displayModeBar": False}
    with st.container(border=True):
        text.markdown("**Daily spend (USD)**")
        st.plotly_chart(charts.daily_spend(report), key="chart_spend", config=plain)
    tokens, requests = st.columns(2)
    with tokens, st.container(border=True):
        text.markdown("**Daily tokens**")
        st.plotly_chart(charts.daily_tokens(report), key="chart_tokens", config=plain)
    with requests, st.container(border=True):
        text.markdown("**Requests per day**")
        st.plotly_chart(charts.daily_requests(report), key="chart_requests", config=plain)


_NUMBER_COLUMNS = {
    "input_tokens": st.column_config.NumberColumn("Input tokens", format="localized"),
    "output_tokens": st.column_config.NumberColumn("Output tokens", format="localized"),
    "total_tokens": st.column_config.NumberColumn("Total tokens", format="localized"),
    "requests": st.column_config.NumberColumn("Requests", format="localized"),
    "successful_requests": st.column_config.NumberColumn("Successful", format="localized"),
    "failed_requests": st.column_config.NumberColumn("Failed", format="localized"),
    "spend": st.column_config.NumberColumn("Spend (USD)", format="$%.4f"),
}


def _tables(session: Session, report: UsageReport) -> None:
    text.subheader("By model")
    models = report.models_frame()
    if models.empty:
        text.caption("No requests this month.")
    else:
        text.table(
            models,
            text_columns=("model",),
            hide_index=True,
            column_config={"model": st.column_config.TextColumn("Model"), **_NUMBER_COLUMNS},
        )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        text.subheader("By day (UTC)")
        st.download_button(
            "Download CSV",
            data=report.to_csv().encode("utf-8"),
            file_name=display.csv_file_name(report.scope, report.month),
            mime="text/csv",
            icon=":material/download:",
            on_click=problems.audit_download,
            args=(session, report.scope, report.month),
            key="download_csv",
        )
    text.table(
        report.daily_frame(),
        text_columns=(),
        hide_index=True,
        height=35 * (len(report.daily) + 1) + 3,  # the whole month, no inner scrolling
        column_config={"date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"), **_NUMBER_COLUMNS},
    )


def report(session: Session, report: UsageReport) -> None:
    """KPIs, budgets, charts and tables of one report."""
    _kpis(report)
    _budgets(report)
    _charts(report)
    _tables(session, report)


def _refresh_pressed() -> bool:
    """Whether a Refresh press counts: at most one per REFRESH_INTERVAL and session."""
    interval = data.REFRESH_INTERVAL.total_seconds()
    now = time.monotonic()
    last = st.session_state.get(_REFRESHED_AT)
    if isinstance(last, float) and now - last < interval:
        text.toast(
            "Refresh works once every {} seconds; try again in {} s.",
            round(interval),
            max(1, round(interval - (now - last))),
            icon=":material/timer:",
        )
        return False
    st.session_state[_REFRESHED_AT] = now
    return True


def sidebar_month(month: Month, on_change: Callable[[], None]) -> tuple[bool, DeltaGenerator]:
    """Month picker, Refresh and the 'data as of' slot, in the sidebar; returns (refresh, slot)."""
    with st.sidebar:
        st.session_state["pick_month"] = month
        st.selectbox(
            "Month",
            month_options(month),
            format_func=lambda m: text.option("{}", m.label),
            key="pick_month",
            on_change=on_change,
        )
        pressed = st.button("Refresh", key="refresh", icon=":material/refresh:", width="stretch")
        return pressed and _refresh_pressed(), st.empty()


def scoped(
    session: Session,
    scope: Scope,
    heading: Sequence[str],
    month: Month,
    *,
    refresh: bool,
    as_of_slot: DeltaGenerator,
) -> None:
    """Fetch (cached), audit an admin's view, and render one scope's report; errors stay in place."""
    config = session.settings
    if refresh:
        data.refresh_snapshot(config, scope.team_id, month)
    title_with_badges(heading, month, display.badges(scope, session.user, demo=session.demo))
    if scope.company_wide and scope.tenant:
        text.info(display.COMPANY_WIDE_NOTE, icon=":material/domain:")
    try:
        snapshot = data.snapshot(config, scope.team_id, month)
    except TeamNotFound as problem:
        if session.user.is_platform_admin and scope.tenant is None:  # an admin's link to an unknown team
            text.warning("LiteLLM has no team {}.", scope.team_id, icon=":material/link_off:")
            problems.audit_admin_failure(session, scope, month, None)
        else:  # a tenant pointing at a missing team is the platform's problem, not the customer's
            _failed(session, scope, month, problem)
        return
    except UsageError as problem:
        _failed(session, scope, month, problem)
        return
    problems.audit_admin_view(session, scope, month)
    usage = build_report(scope, month, snapshot)
    with as_of_slot:
        text.caption("{}", display.as_of(usage.as_of))
    report(session, usage)


def _failed(session: Session, scope: Scope, month: Month, problem: UsageError) -> None:
    context = {
        "team_id": scope.team_id,
        "key_alias": scope.key_alias,
        "tenant": scope.tenant,
        "month": str(month),
    }
    incident = problems.failure(problem, session, where="usage report", key="retry_usage", context=context)
    problems.audit_admin_failure(session, scope, month, incident.reference)
