"""Rendering one UsageReport (shared by the Usage and Admin pages); no data access, no rules."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import below_fold, data, problems, text
from dashboard.signin import Session
from usage_core import charts, display, incidents
from usage_core.access import Scope
from usage_core.errors import TeamNotFound, UsageError
from usage_core.forecast import BudgetOutlook, Outlook
from usage_core.months import Month, selectable_months
from usage_core.reports import Budget, TeamSnapshot, UsageReport, build_report
from usage_core.tenants import Tenant
from usage_core.usage import TeamUsage

BADGE_STYLE = {
    display.BADGE_COMPANY_WIDE: ("orange", ":material/domain:"),
    display.BADGE_ADMIN: ("violet", ":material/shield_person:"),
    display.BADGE_DEMO: ("gray", ":material/science:"),
}
_REFRESHED_AT = "_refreshed_at"
_REFRESH_ASKED = "_refresh_asked"


def month_options(selected: Month, horizon: int) -> list[Month]:
    """The months within the horizon, newest first (selection keeps the URL's month within it too)."""
    options = selectable_months(horizon)
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


# Delta colours when a KPI goes (up, down): more spend or more failures is not good news; more
# tokens or requests is neither good nor bad.
WORSE_WHEN_UP = ("red", "green")
NEUTRAL_CHANGE = ("gray", "gray")
OUTLOOK_STYLE = {
    Outlook.RUNS_OUT: ("orange", ":material/trending_up:"),
    Outlook.REACHED: ("red", ":material/block:"),
    Outlook.ON_TRACK: ("green", ":material/check_circle:"),
    Outlook.NO_PACE: ("gray", ":material/hourglass_empty:"),
    Outlook.PAST_MONTH: ("gray", ":material/history:"),
}
COMPARE_KEY = "compare_last_month"
PLAIN_CHART = {"displayModeBar": False}


def _delta(
    report: UsageReport, field: str, colors: tuple[str, str], *, money: bool = False
) -> dict[str, Any]:
    """st.metric's delta options for one KPI against the same days of last month ({} without them)."""
    deltas, previous = report.deltas(), report.previous
    if deltas is None or previous is None:
        return {}
    change = display.kpi_change(getattr(deltas, field), previous, money=money)
    # Arrow and colour are set explicitly: the text alone decides neither ("no change" has no arrow).
    arrow = "off" if change.direction == "none" else change.direction
    color = "gray" if change.direction == "none" else colors[change.direction != "up"]
    return {
        "delta": change.text,
        "delta_color": color,
        "delta_arrow": arrow,
        "delta_description": change.versus,
    }


def _kpis(report: UsageReport) -> None:
    totals = report.totals
    spend, inp, out, req = st.columns(4)
    with spend:
        text.metric(
            "Spend (USD)",
            display.usd(totals.spend),
            help=text.md("Exactly {}", display.usd_exact(totals.spend)),
            border=True,
            **_delta(report, "spend", WORSE_WHEN_UP, money=True),
        )
    with inp:
        count = display.count(totals.input_tokens)
        text.metric("Input tokens", count, border=True, **_delta(report, "input_tokens", NEUTRAL_CHANGE))
    with out:
        count = display.count(totals.output_tokens)
        text.metric("Output tokens", count, border=True, **_delta(report, "output_tokens", NEUTRAL_CHANGE))
    with req:
        count = display.count(totals.requests)
        text.metric("Requests", count, border=True, **_delta(report, "requests", NEUTRAL_CHANGE))
    text.caption("{}", display.failed_line(report))
    text.caption("{} {}", display.projection_line(report), display.comparison_note(report.previous))


def _outlook(outlook: BudgetOutlook, sentence: str, month: Month) -> None:
    """A budget's forecast: a badge (icon, colour and words) and its one plain sentence."""
    status = display.outlook_status(outlook, month)
    if status:
        color, icon = OUTLOOK_STYLE.get(outlook.outlook, ("gray", None))
        text.badge(status, icon=icon, color=color)
    text.markdown("{}", sentence)


def _budget_card(heading: str, budget: Budget, key: str, forecast: tuple[BudgetOutlook, str, Month]) -> None:
    with st.container(border=True, height="stretch"):
        text.markdown("**{}**", heading)
        if budget.max_budget is None:
            text.markdown("### No budget set")
            text.caption("{} spent so far · no limit applies", display.usd(budget.spend))
        else:
            st.plotly_chart(
                charts.budget_gauge(budget),
                key=key,
                config=PLAIN_CHART,
                alt=display.budget_summary(budget),
            )
            text.caption("{} · {}", display.budget_summary(budget), display.resets(budget))
        _outlook(*forecast)


def _limits_card(report: UsageReport) -> None:
    limits = report.rate_limits
    with st.container(border=True, height="stretch"):
        text.markdown("**Rate limits**")
        text.metric("Requests per minute", display.limit(limits.rpm, "rpm"))
        text.metric("Tokens per minute", display.limit(limits.tpm, "tpm"))


def _budgets(report: UsageReport) -> None:
    forecast, month = report.forecast, report.month
    cards = 3 if report.key_budget is not None else 2
    columns = st.columns(cards)
    with columns[0]:
        # the headline: the company budget's sentence, or the month-end (actuals) without one to talk about
        _budget_card(
            "Company budget", report.budget, "gauge_company", (forecast.company, forecast.sentence, month)
        )
    if report.key_budget is not None and forecast.key is not None:
        with columns[1]:
            key = (forecast.key, forecast.key.sentence, month)
            _budget_card("This tenant's key budget", report.key_budget, "gauge_key", key)
    with columns[-1]:
        _limits_card(report)


_CHART_COLUMNS: dict[str, Any] = {
    "Date (UTC)": st.column_config.DateColumn("Date (UTC)", format="YYYY-MM-DD"),
}


def _chart_table(chart: charts.DailyChart, key: str) -> None:
    """The chart's numbers as a table, for whoever cannot or would rather not read the figure."""
    import pandas as pd

    rows = charts.table_of(chart)
    frame = pd.DataFrame(list(rows.rows), columns=list(rows.columns))
    money = {c: st.column_config.NumberColumn(c, format="$%.4f") for c in rows.columns if c.endswith("(USD)")}
    counts = {
        c: st.column_config.NumberColumn(c, format="localized") for c in rows.columns[2:] if c not in money
    }
    with text.expander("Show as table"):
        text.table(
            frame,
            text_columns=(),
            hide_index=True,
            key=key,
            height=35 * (len(rows.rows) + 1) + 3,
            column_config={**_CHART_COLUMNS, **money, **counts},
        )


def _chart(title: str, chart: charts.DailyChart, key: str, note: str | None = None) -> None:
    with st.container(border=True):
        text.markdown("**{}**", title)
        if note:
            text.caption("{}", note)
        st.plotly_chart(charts.figure(chart), key=key, config=PLAIN_CHART, alt=charts.alt_text(chart))
        _chart_table(chart, f"{key}_table")


@st.fragment
def _charts(report: UsageReport) -> None:
    """The daily charts; a fragment, so the overlay toggle redraws them and nothing else."""
    st.toggle(
        "Compare with last month",
        key=COMPARE_KEY,
        disabled=report.previous is None,
        help="Draw last month's days over this month's, aligned by day of month.",
    )
    compare = bool(st.session_state.get(COMPARE_KEY)) and report.previous is not None
    spend = charts.spend_chart(report, compare=compare)
    _chart("Daily spend (USD)", spend, "chart_spend", display.spend_chart_note(report))
    tokens, requests = st.columns(2)
    with tokens:
        _chart("Daily tokens", charts.tokens_chart(report, compare=compare), "chart_tokens")
    with requests:
        _chart("Requests per day", charts.requests_chart(report, compare=compare), "chart_requests")


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


def report(session: Session, report: UsageReport) -> bool:
    """KPIs and budgets first (above the fold), then the charts and the tables; True if they wait."""
    _kpis(report)
    _budgets(report)
    return below_fold.below_the_fold(lambda: _below(session, report))


def _below(session: Session, report: UsageReport) -> None:
    _charts(report)
    _tables(session, report)


def _on_refresh() -> None:
    """A Refresh press counts at most once per REFRESH_INTERVAL and session; `refresh_asked` takes it."""
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
        return
    st.session_state[_REFRESHED_AT] = now
    st.session_state[_REFRESH_ASKED] = True


def refresh_asked() -> bool:
    """Whether this run follows a Refresh press that counts (see `_on_refresh`); ask once per run."""
    return bool(st.session_state.pop(_REFRESH_ASKED, False))


def sidebar_slots() -> tuple[DeltaGenerator, DeltaGenerator]:
    """(pickers, 'data as of') places in the sidebar, filled later in the run."""
    return st.sidebar.container(), st.sidebar.empty()


def month_picker(month: Month, horizon: int, on_change: Callable[[], None]) -> None:
    """Month picker and Refresh (a press is taken by `refresh_asked`, before the report is read)."""
    st.session_state["pick_month"] = month
    st.selectbox(
        "Month",
        month_options(month, horizon),
        format_func=lambda m: text.option("{}", m.label),
        key="pick_month",
        on_change=on_change,
    )
    st.button("Refresh", key="refresh", icon=":material/refresh:", width="stretch", on_click=_on_refresh)


def scoped(
    session: Session,
    scope: Scope,
    heading: Sequence[str],
    month: Month,
    *,
    refresh: bool,
    as_of_slot: DeltaGenerator,
) -> bool:
    """Fetch (cached), audit an admin's view, and render one scope's report; errors stay in place.

    True when the report's lower part waits for the browser (below_fold): the page's pickers wait too.
    """
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
        return False
    except UsageError as problem:
        _failed(session, scope, month, problem)
        return False
    problems.audit_admin_view(session, scope, month)
    usage = build_report(scope, month, unnamed(snapshot), previous=_previous_usage(session, scope, month))
    with as_of_slot:
        text.caption("{}", display.as_of(usage.as_of))
    return report(session, usage)


def unnamed(snapshot: TeamSnapshot) -> TeamSnapshot:
    """The snapshot without the LiteLLM team's name: the forecast's sentence says "the company".

    A team alias is the platform's name for the org, not one its people chose; customers never see
    it (and it is outside text in a sentence). Only the sentence reads the name.
    """
    return replace(snapshot, team=replace(snapshot.team, alias=None))


def _previous_usage(session: Session, scope: Scope, month: Month) -> TeamUsage | None:
    """The team's previous month, for the comparison; a failure to read it costs only the comparison."""
    try:
        return data.snapshot(session.settings, scope.team_id, month.previous()).usage
    except UsageError as problem:
        context = {"team_id": scope.team_id, "month": str(month.previous())}
        incidents.record(problem, where="previous month", context=context)
        return None


def _failed(session: Session, scope: Scope, month: Month, problem: UsageError) -> None:
    context = {
        "team_id": scope.team_id,
        "key_alias": scope.key_alias,
        "tenant": scope.tenant,
        "month": str(month),
    }
    incident = problems.failure(problem, session, where="usage report", key="retry_usage", context=context)
    problems.audit_admin_failure(session, scope, month, incident.reference)
