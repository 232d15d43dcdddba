"""The overviews as tables a page shows: one row per tenant or team, with labels, links and sort orders.

Pure: the frames hold our own labels, numbers, dates and links; outside text (names, aliases) is left
as it is for the page to render as plain cells. Links are built here from our page paths and
urlencoded parameters, so no outside text can ever choose where a link leads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC
from urllib.parse import urlencode

import pandas as pd

from usage_core.comparison import Delta
from usage_core.months import Month
from usage_core.overview import OrgOverview, PlatformOverview, Risk, TeamRow, TenantRow
from usage_core.reports import Budget

NOT_AVAILABLE = "usage not available yet"
NOT_COMPARED = "not compared"
NOTHING_TO_COMPARE = "no spend either month"
NO_CHANGE = "no change (0.0%, $0.00)"

# Label -> (a column of the overview's CSV to sort by, descending); None keeps the overview's own order.
ORG_SORTS: Mapping[str, tuple[str | None, bool]] = {
    "Spend, highest first": ("spend", True),
    "Change against last month, largest first": ("spend_change", True),
    "Share of company spend, largest first": ("company_share", True),
    "Key budget used, most first": ("key_budget_used", True),
    "Failed share, highest first": ("failed_share", True),
    "Name, A to Z": (None, False),
}
PLATFORM_SORTS: Mapping[str, tuple[str | None, bool]] = {
    "Risk, riskiest first": (None, False),
    "Spend, highest first": ("spend", True),
    "Budget used, most first": ("budget_used", True),
    "Change against last month, largest first": ("spend_change", True),
    "Requests, most first": ("requests", True),
}

RISK_LABEL = {
    Risk.OVER_BUDGET: "Over budget",
    Risk.RUNS_OUT: "Runs out at this pace",
    Risk.WITHIN_BUDGET: "Within budget",
    Risk.NO_BUDGET: "No budget",
}


def signed_usd(value: float) -> str:
    """'+$4.56', '-$1.20', '$0.00'; four places below a cent."""
    amount = abs(value)
    digits = f"{amount:,.4f}" if 0 < amount < 0.01 else f"{amount:,.2f}"
    if value > 0:
        return f"+${digits}"
    if value < 0:
        return f"-${digits}"
    return f"${digits}"


def delta_text(delta: Delta | None) -> str:
    """Spend against the same days last month: '▲ +12.3% (+$4.56)', '▼ -3.1% (-$1.20)', or words.

    An arrow leads, so that the text reads the same without colour and no spreadsheet takes a
    leading sign for a formula; a previous month without spend has no percentage.
    """
    if delta is None:
        return NOT_COMPARED
    ratio = delta.ratio
    if delta.change == 0:
        return NOTHING_TO_COMPARE if ratio is None else NO_CHANGE
    arrow = "\u25b2" if delta.change > 0 else "\u25bc"
    if ratio is None:
        return f"{arrow} new ({signed_usd(delta.change)} on none last month)"
    percent = f"{abs(ratio):.1%}"
    sign = "+" if ratio > 0 else "-"
    return f"{arrow} {sign}{percent} ({signed_usd(delta.change)})"


def risk_label(row: TeamRow) -> str:
    """The team's risk as words: the over-budget flag never depends on colour."""
    return RISK_LABEL[row.risk]


def page_link(base_path: str, page: str, params: Mapping[str, str]) -> str:
    """A link to one of our pages: the app's base path, our page path, urlencoded parameters."""
    base = "/" + "/".join(part for part in base_path.split("/") if part)
    prefix = base if base.endswith("/") else base + "/"
    return f"{prefix}{page}?{urlencode(params)}"


def tenant_link(base_path: str, tenant: str, month: Month) -> str:
    """The Usage page of one tenant and month (the default page: no page path)."""
    return page_link(base_path, "", {"tenant": tenant, "month": str(month)})


def team_link(base_path: str, team_id: str, month: Month) -> str:
    """The Admin page of one LiteLLM team and month."""
    return page_link(base_path, "admin", {"team": team_id, "month": str(month)})


def org_rows(overview: OrgOverview, sort: str) -> tuple[TenantRow, ...]:
    """The rows in the order a label of ORG_SORTS names."""
    column, descending = ORG_SORTS[sort]
    return overview.rows if column is None else overview.sorted_by(column, descending=descending)


def platform_rows(overview: PlatformOverview, sort: str) -> tuple[TeamRow, ...]:
    """The rows in the order a label of PLATFORM_SORTS names."""
    column, descending = PLATFORM_SORTS[sort]
    return overview.rows if column is None else overview.sorted_by(column, descending=descending)


def _used(budget: Budget | None, used: float | None) -> float | None:
    return used if budget is not None and budget.max_budget is not None else None


ORG_COLUMNS = (  # the order on screen: the answer first, the detail after
    "open",
    "display_name",
    "spend",
    "daily_spend",
    "change",
    "company_share",
    "key_budget_used",
    "tokens",
    "requests",
    "failed_share",
    "tenant",
)


def org_frame(overview: OrgOverview, rows: Sequence[TenantRow], base_path: str) -> pd.DataFrame:
    """One line per tenant: link, names, figures, shares, key budget used, change, daily spend."""
    records = []
    for row in rows:
        figures = row.available
        records.append(
            {
                "open": tenant_link(base_path, row.tenant, overview.month),
                "display_name": row.display_name,
                "tenant": row.tenant,
                "spend": row.totals.spend if figures else None,
                "tokens": row.totals.total_tokens if figures else None,
                "requests": row.totals.requests if figures else None,
                "failed_share": row.failed_share,
                "company_share": row.company_share,
                "key_budget_used": _used(row.key_budget, row.key_budget_used),
                "change": delta_text(row.deltas.spend if row.deltas else None) if figures else NOT_AVAILABLE,
                "daily_spend": list(row.daily_spend),
            }
        )
    return pd.DataFrame.from_records(records, columns=list(ORG_COLUMNS))


PLATFORM_COLUMNS = (  # the order on screen: the risk first, the detail after
    "open",
    "rank",
    "status",
    "team_alias",
    "spend",
    "budget_used",
    "runs_out_on",
    "daily_spend",
    "change",
    "max_budget",
    "projected_spend",
    "resets_on",
    "rpm_limit",
    "tpm_limit",
    "keys",
    "tenants",
    "team_id",
)


def platform_frame(overview: PlatformOverview, rows: Sequence[TeamRow], base_path: str) -> pd.DataFrame:
    """One line per team: rank, link, risk, names, spend, budget, forecast, limits, counts, change."""
    records = [
        {
            "rank": row.risk_rank,
            "open": team_link(base_path, row.team_id, overview.month),
            "status": risk_label(row),
            "team_alias": row.team_alias or "",
            "team_id": row.team_id,
            "spend": row.totals.spend,
            "max_budget": row.budget.max_budget,
            "budget_used": row.budget_used,
            "projected_spend": row.projected_spend,
            "runs_out_on": row.runs_out_on,
            "resets_on": row.budget.reset_at.astimezone(UTC).date() if row.budget.reset_at else None,
            "rpm_limit": row.rpm_limit,
            "tpm_limit": row.tpm_limit,
            "keys": row.keys,
            "tenants": row.tenants,
            "change": delta_text(row.deltas.spend),
            "daily_spend": list(row.daily_spend),
        }
        for row in rows
    ]
    return pd.DataFrame.from_records(records, columns=list(PLATFORM_COLUMNS))


def risk_counts(overview: PlatformOverview) -> dict[Risk, int]:
    """How many teams carry each risk (every Risk present, zero included)."""
    counts = dict.fromkeys(Risk, 0)
    for row in overview.rows:
        counts[row.risk] += 1
    return counts
