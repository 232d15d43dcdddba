"""The org and platform overviews as pages show them: month, title, sort, CSV, one table; no rules here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard import data, problems, report_layout, text
from dashboard.signin import Session
from usage_core import display, overview, overview_table
from usage_core.errors import UsageError
from usage_core.identity import Role
from usage_core.months import Month
from usage_core.overview import OrgOverview, PlatformOverview, Risk
from usage_core.selection import select_month

ORG_VIEW, PLATFORM_VIEW = "org_overview", "platform_overview"
ORG_PATH, PLATFORM_PATH = "org-overview", "platform-overview"  # the pages' url paths
# A row's keyboard way to its page (the picker's label, the page its Open link leads to), by kind.
GO_TO_LABEL = {"tenant": "Go to a tenant", "team": "Go to a team"}
GO_TO_PAGE = {"tenant": "views/usage.py", "team": "views/admin.py"}
_PLATFORM_VIEW_LOGGED = "_platform_view_logged"
MISSING = "—"  # a blank figure: no figures yet, no budget, no limit
ROW_HEIGHT = 35  # Streamlit's default row height, so that a small table shows every row
MAX_TABLE_HEIGHT = 720  # beyond about 20 rows the table scrolls inside the page
SPARKLINE_HELP = "Spend per day of the month so far (UTC)."
COMPARED_HELP = "Spend against days 1 to {} of {}, and the change in dollars."
UNAVAILABLE_NOTE = (
    "A tenant whose key is still being set up has no figures of its own yet: the company's total is "
    "not shown in its place, so that no number counts twice."
)

# -- who has which overview --------------------------------------------------------------------


def org_overview_allowed(session: Session) -> bool:
    """The core's rule; a tenant list that cannot be read admits owners only (the Usage page says why)."""
    try:
        everyone = data.tenants(session.settings)
    except UsageError:
        everyone = ()
    return overview.org_overview_allowed(session.user, everyone).allowed


# -- shared parts ------------------------------------------------------------------------------


def _on_month() -> None:
    st.query_params["month"] = str(st.session_state["pick_month"])


def month_sidebar(session: Session) -> tuple[Month, bool, DeltaGenerator]:
    """The month of `?month=` (notices for a bad one), its picker, Refresh and the 'data as of' slot."""
    month, notices = select_month(st.query_params.to_dict(), horizon=session.settings.months_horizon)
    st.query_params.from_dict({"month": str(month)})  # an overview has no other parameter
    with st.sidebar:
        report_layout.month_picker(month, session.settings.months_horizon, _on_month)
        as_of_slot = st.empty()
    for notice in notices:  # they quote the URL: shown whole as text
        text.warning("{}", notice, icon=":material/link_off:")
    return month, report_layout.refresh_asked(), as_of_slot


def _base_path() -> str:
    return str(st.get_option("server.baseUrlPath") or "")


def _height(rows: int) -> int:
    return min(ROW_HEIGHT * (rows + 1) + 3, MAX_TABLE_HEIGHT)


def _sort_select(options: list[str], key: str) -> str:
    choice: str = st.selectbox("Sort by", options, key=key, width=320)
    return choice


def _download(session: Session, csv: str, view: str, month: Month, file_name: str) -> None:
    st.download_button(
        "Download CSV",
        data=csv.encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click=problems.audit_overview,
        args=(session, "csv_download", view, month),
        key="download_overview_csv",
    )


def _go_to(kind: str, choices: dict[str, str], params: Callable[[str], dict[str, str]], key: str) -> None:
    """A picker and a link to one row's page: the grid's Open links need a mouse, these do not.

    `choices` maps each row's link target to its option label, in the table's order.
    """
    if not choices:
        return
    with st.container(horizontal=True, vertical_alignment="bottom"):
        chosen = st.selectbox(
            GO_TO_LABEL[kind], list(choices), format_func=choices.__getitem__, key=key, width=320
        )
        st.page_link(
            GO_TO_PAGE[kind], label="Open", icon=":material/arrow_forward:", query_params=params(chosen)
        )


def _as_of(slot: DeltaGenerator, moment: datetime | None) -> None:
    if moment is not None:
        with slot:
            text.caption("{}", display.as_of(moment))


# -- the org overview --------------------------------------------------------------------------


def org(session: Session, month: Month, *, refresh: bool, as_of_slot: DeltaGenerator) -> None:
    """Every tenant the user can see for the month, from the cached team-month snapshots."""
    config, user = session.settings, session.user
    if user.role is Role.OWNER:
        text.title("Organization overview - {}", month.label)
    else:
        text.title("Your tenants - {}", month.label)
    if session.demo:
        text.badge(display.BADGE_DEMO, icon=":material/science:", color="gray")
    try:
        if refresh:
            data.refresh_org_overview(config, user, month)
        result, as_of = data.org_overview(config, user, month)
    except UsageError as problem:
        problems.failure(
            problem, session, where="org overview", key="retry_overview", context={"month": str(month)}
        )
        return
    _as_of(as_of_slot, as_of)
    if not result.rows:
        with st.container(border=True):
            text.subheader(":material/inbox: No tenant to show")
            text.caption("When your platform team sets up a tenant for you, it will be listed here.")
        return
    _org_table(session, result)


def _org_table(session: Session, result: OrgOverview) -> None:
    count = len(result.rows)
    text.caption(
        "{} tenants, each row cut from the same read as its own page. Open leads to the tenant's Usage page.",
        count,
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        sort = _sort_select(list(overview_table.ORG_SORTS), "org_overview_sort")
        _download(session, result.to_csv(), ORG_VIEW, result.month, f"org-overview-{result.month}.csv")
    rows = overview_table.org_rows(result, sort)
    _go_to(
        "tenant",
        {row.tenant: text.option("{}", row.display_name) for row in rows},
        lambda tenant: {"tenant": tenant, "month": str(result.month)},
        "org_overview_go_to",
    )
    frame = overview_table.org_frame(result, rows, _base_path())
    text.table(
        frame,
        text_columns=("display_name", "tenant"),
        hide_index=True,
        placeholder=MISSING,
        height=_height(len(rows)),
        column_order=overview_table.ORG_COLUMNS,
        alt=f"Usage per tenant, {result.month.label}",
        column_config={
            "open": st.column_config.LinkColumn(
                "Open", display_text="Open", help="This tenant's Usage page for the month", pinned=True
            ),
            "display_name": st.column_config.TextColumn("Tenant"),
            "tenant": st.column_config.TextColumn("Name", help="The tenant's id, as in its page's URL"),
            "spend": st.column_config.NumberColumn("Spend (USD)", format="dollar"),
            "tokens": st.column_config.NumberColumn("Tokens", format="localized", help="Input and output"),
            "requests": st.column_config.NumberColumn("Requests", format="localized"),
            "failed_share": st.column_config.NumberColumn(
                "Failed", format="percent", help="Failed requests as a share of all"
            ),
            "company_share": st.column_config.ProgressColumn(
                "Company share",
                format="percent",
                min_value=0.0,
                max_value=1.0,
                help="This tenant's spend as a share of the whole LiteLLM team's on the same days",
            ),
            "key_budget_used": st.column_config.ProgressColumn(
                "Key budget used",
                format="percent",
                min_value=0.0,
                max_value=1.0,
                help="Spent of the tenant key's own budget; — means the key has no budget of its own",
            ),
            "change": st.column_config.TextColumn(
                "Against last month",
                help=text.md(COMPARED_HELP, result.compared_days, result.month.previous().label),
            ),
            "daily_spend": st.column_config.LineChartColumn("Daily spend", y_min=0.0, help=SPARKLINE_HELP),
        },
    )
    if not all(row.available for row in result.rows):
        text.caption("{}", UNAVAILABLE_NOTE)


# -- the platform overview ---------------------------------------------------------------------


def platform(session: Session, month: Month, *, refresh: bool, as_of_slot: DeltaGenerator) -> None:
    """Every LiteLLM team for the month, the riskiest first; the view is audited once per month."""
    config = session.settings
    text.title("Platform overview - {}", month.label)
    with st.container(horizontal=True, gap="small"):
        text.badge(display.BADGE_ADMIN, icon=":material/shield_person:", color="violet")
        if session.demo:
            text.badge(display.BADGE_DEMO, icon=":material/science:", color="gray")
    try:
        if refresh:
            data.refresh_platform(config, month)
        result = data.platform_overview(config, month)
    except UsageError as problem:
        context = {"month": str(month)}
        incident = problems.failure(
            problem, session, where="platform overview", key="retry_overview", context=context
        )
        problems.audit_overview(
            session, "admin_view", PLATFORM_VIEW, month, outcome="error", reference=incident.reference
        )
        st.session_state.pop(_PLATFORM_VIEW_LOGGED, None)
        return
    if st.session_state.get(_PLATFORM_VIEW_LOGGED) != str(month):
        problems.audit_overview(session, "admin_view", PLATFORM_VIEW, month)
        st.session_state[_PLATFORM_VIEW_LOGGED] = str(month)
    _as_of(as_of_slot, result.as_of)
    if not result.rows:
        text.info("LiteLLM lists no teams.", icon=":material/inbox:")
        return
    _platform_summary(result)
    _platform_table(session, result)


def _platform_summary(result: PlatformOverview) -> None:
    counts = overview_table.risk_counts(result)
    teams, over, runs_out, none = st.columns(4)
    with teams:
        text.metric("Teams", display.count(len(result.rows)), border=True)
    with over:
        text.metric("Over budget", display.count(counts[Risk.OVER_BUDGET]), border=True)
    with runs_out:
        text.metric(
            "Run out at this pace",
            display.count(counts[Risk.RUNS_OUT]),
            help="Reach their budget at this month's pace before it resets",
            border=True,
        )
    with none:
        text.metric("Without a budget", display.count(counts[Risk.NO_BUDGET]), border=True)


def _platform_table(session: Session, result: PlatformOverview) -> None:
    text.caption(
        "Riskiest first: over budget (furthest over first), then the soonest run-out before a reset, "
        "then the most budget used, then teams without a budget by spend. "
        "Open leads to the team on the Admin page."
    )
    with st.container(horizontal=True, vertical_alignment="bottom"):
        sort = _sort_select(list(overview_table.PLATFORM_SORTS), "platform_overview_sort")
        _download(
            session, result.to_csv(), PLATFORM_VIEW, result.month, f"platform-overview-{result.month}.csv"
        )
    rows = overview_table.platform_rows(result, sort)
    _go_to(
        "team",
        {row.team_id: text.team_option(row.team_id, row.team_alias) for row in rows},
        lambda team_id: {"team": team_id, "month": str(result.month)},
        "platform_overview_go_to",
    )
    frame = overview_table.platform_frame(result, rows, _base_path())
    text.table(
        frame,
        text_columns=("team_alias", "team_id"),
        hide_index=True,
        placeholder=MISSING,
        height=_height(len(rows)),
        column_order=overview_table.PLATFORM_COLUMNS,
        alt=f"Every LiteLLM team, {result.month.label}",
        column_config={
            "rank": st.column_config.NumberColumn("Risk rank", help="1 is the riskiest team", pinned=True),
            "open": st.column_config.LinkColumn(
                "Open", display_text="Open", help="This team on the Admin page for the month", pinned=True
            ),
            "status": st.column_config.TextColumn("Status"),
            "team_alias": st.column_config.TextColumn("Team"),
            "team_id": st.column_config.TextColumn("Team id"),
            "spend": st.column_config.NumberColumn("Spend (USD)", format="dollar"),
            "max_budget": st.column_config.NumberColumn(
                "Budget (USD)", format="dollar", help="— means no budget"
            ),
            "budget_used": st.column_config.ProgressColumn(
                "Budget used",
                format="percent",
                min_value=0.0,
                max_value=1.0,
                help="LiteLLM's spend since the last reset, as a share of the budget",
            ),
            "projected_spend": st.column_config.NumberColumn(
                "Month-end at this pace", format="dollar", help="— before the month's first complete day"
            ),
            "runs_out_on": st.column_config.DateColumn(
                "Runs out", format="YYYY-MM-DD", help="The day the budget runs out at this pace (or ran out)"
            ),
            "resets_on": st.column_config.DateColumn("Resets", format="YYYY-MM-DD"),
            "rpm_limit": st.column_config.NumberColumn(
                "RPM limit", format="localized", help="— means unlimited"
            ),
            "tpm_limit": st.column_config.NumberColumn(
                "TPM limit", format="localized", help="— means unlimited"
            ),
            "keys": st.column_config.NumberColumn("Keys", format="localized"),
            "tenants": st.column_config.NumberColumn("Tenants", format="localized"),
            "change": st.column_config.TextColumn(
                "Against last month",
                help=text.md(COMPARED_HELP, result.compared_days, result.month.previous().label),
            ),
            "daily_spend": st.column_config.LineChartColumn("Daily spend", y_min=0.0, help=SPARKLINE_HELP),
        },
    )
