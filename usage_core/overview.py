"""Overviews as pure functions: every tenant of an org, every team of the platform, the operator's list.

A page shows these rows as they are: each row carries what its table row needs (figures, shares,
budget use, last month's delta, the daily values of its sparkline, the link target). Nothing here
reads LiteLLM; the service reads, these functions compute.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from usage_core.access import Decision, tenant_scope, visible_tenants
from usage_core.comparison import KpiDeltas, compared_dates, compared_days, kpi_deltas
from usage_core.forecast import BudgetOutlook, Outlook, budget_outlook, projection, shown_days
from usage_core.identity import Role, User
from usage_core.litellm import TeamInfo, TeamListing
from usage_core.months import Month
from usage_core.plaintext import csv_cell
from usage_core.reports import Budget, TeamSnapshot, build_report, plain_number
from usage_core.tenants import Tenant
from usage_core.usage import ZERO, Metrics, TeamUsage

ORG_OVERVIEW_DENIED = (
    "The organization overview lists several tenants: it is for owners and members of more than one."
)


def total_of(daily: Mapping[date, Metrics], days: Iterable[date]) -> Metrics:
    """The sum over `days` (missing days count as zero), in day order like a report's totals."""
    # Metrics.total's result, without a new Metrics per addition: an overview sums thousands of days.
    inp = out = tokens = requests = ok = failed = 0
    spend = 0.0
    for day in days:
        m = daily.get(day)
        if m is None:
            continue
        inp += m.input_tokens
        out += m.output_tokens
        tokens += m.total_tokens
        requests += m.requests
        ok += m.successful_requests
        failed += m.failed_requests
        spend += m.spend
    return Metrics(inp, out, tokens, requests, ok, failed, spend)


def previous_totals(previous_daily: Mapping[date, Metrics], month: Month, now: datetime) -> Metrics:
    """Days 1..N of the previous month (N as in comparison.compared_days)."""
    return total_of(previous_daily, compared_dates(month, now))


def budget_used(budget: Budget) -> float | None:
    """Spent as a share of the budget; None without a budget; a zero budget counts as fully used."""
    if budget.max_budget is None:
        return None
    if budget.max_budget <= 0:
        return 1.0
    return budget.spend / budget.max_budget


def failed_share(totals: Metrics) -> float | None:
    """Failed requests as a share of all (None without requests)."""
    return totals.failed_requests / totals.requests if totals.requests else None


def _cell(value: object) -> object:
    """A CSV cell: text that never becomes a formula, plain numbers, blanks for None."""
    if isinstance(value, str):
        return csv_cell(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return plain_number(value)
    return value


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def sort_rows(rows: Sequence[Any], key: Callable[[Any], Any], *, descending: bool = False) -> tuple[Any, ...]:
    """Rows sorted by `key`; rows whose key is None always come last."""
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return (*sorted(present, key=key, reverse=descending), *missing)


# -- the org overview --------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantRow:
    """One tenant of the org overview; `tenant` is the link target (?tenant=<name>)."""

    tenant: str
    display_name: str
    team_id: str | None
    key_alias: str | None
    available: bool  # False: no key of its own yet, so no figures of its own (never the team's)
    totals: Metrics
    failed_share: float | None
    company_share: float | None  # of the whole team's spend on the same days
    key_budget: Budget | None
    key_budget_used: float | None
    previous: Metrics | None  # the same elapsed days of the previous month
    deltas: KpiDeltas | None
    daily_spend: tuple[float, ...]  # the sparkline: one value per day of OrgOverview.days

    @property
    def spend_change(self) -> float | None:
        """Spend against the same days last month, as a share (None: nothing to compare with)."""
        return self.deltas.spend.ratio if self.deltas else None


ORG_CSV_COLUMNS = (
    "tenant",
    "display_name",
    "key_alias",
    "spend",
    "input_tokens",
    "output_tokens",
    "requests",
    "failed_requests",
    "failed_share",
    "company_share",
    "key_max_budget",
    "key_budget_used",
    "previous_spend",
    "spend_change",
)


@dataclass(frozen=True)
class OrgOverview:
    """Every tenant a user can see, for one month."""

    month: Month
    days: tuple[date, ...]  # the x axis of every sparkline
    compared_days: int  # last month's days 1..N that the deltas compare with
    rows: tuple[TenantRow, ...]

    def sorted_by(self, column: str, *, descending: bool = True) -> tuple[TenantRow, ...]:
        """The rows sorted by one of ORG_CSV_COLUMNS (text ascending, numbers as asked; blanks last)."""
        if column not in ORG_CSV_COLUMNS:
            raise ValueError(f"unknown column {column!r}")
        values = {row.tenant: dict(zip(ORG_CSV_COLUMNS, _org_values(row), strict=True)) for row in self.rows}
        return sort_rows(self.rows, lambda r: values[r.tenant][column], descending=descending)

    def to_csv(self) -> str:
        """The table as CSV: plain numbers, text cells that never become formulas."""
        return _csv(ORG_CSV_COLUMNS, (_org_values(row) for row in self.rows))


def _org_values(row: TenantRow) -> tuple[object, ...]:
    figures = row.available
    return (
        row.tenant,
        row.display_name,
        row.key_alias or "",
        row.totals.spend if figures else None,
        row.totals.input_tokens if figures else None,
        row.totals.output_tokens if figures else None,
        row.totals.requests if figures else None,
        row.totals.failed_requests if figures else None,
        row.failed_share,
        row.company_share,
        row.key_budget.max_budget if row.key_budget else None,
        row.key_budget_used,
        row.previous.spend if row.previous else None,
        row.spend_change,
    )


def org_overview_allowed(user: User, tenants: Sequence[Tenant]) -> Decision:
    """Owners see the org overview; members only when they can see more than one tenant."""
    if user.role is Role.OWNER:
        return Decision(True, "owners see every tenant of their organization")
    if user.role is Role.PLATFORM_ADMIN:
        return Decision(False, "platform admins use the platform overview")
    if len(visible_tenants(user, tenants)) > 1:
        return Decision(True, "the member can see more than one tenant")
    return Decision(False, ORG_OVERVIEW_DENIED)


def org_overview_teams(user: User, tenants: Sequence[Tenant]) -> list[str]:
    """The teams whose month the org overview reads: one snapshot serves every tenant of a team."""
    return sorted({t.team_id for t in visible_tenants(user, tenants) if t.team_id})


def org_overview(
    user: User,
    tenants: Sequence[Tenant],
    month: Month,
    snapshots: Mapping[str, TeamSnapshot],
    previous: Mapping[str, TeamUsage],
    *,
    now: datetime,
) -> OrgOverview:
    """One row per tenant the user can see, cut from the team snapshots exactly like its own report.

    `snapshots` and `previous` hold the month and the previous month of org_overview_teams(); a
    tenant without a key alias has no figures of its own (never the team's, which would count twice).
    """
    days = tuple(shown_days(month, now))
    rows: list[TenantRow] = []
    for tenant in visible_tenants(user, tenants):
        scope = tenant_scope(user, tenant).scope
        snapshot = snapshots.get(tenant.team_id or "")
        if scope is None or scope.company_wide or snapshot is None:
            rows.append(_unavailable(tenant))
            continue
        report = build_report(scope, month, snapshot, now=now, previous=previous.get(scope.team_id))
        team_spend = total_of(snapshot.usage.team.daily, days).spend
        rows.append(
            TenantRow(
                tenant=tenant.name,
                display_name=tenant.display_name,
                team_id=tenant.team_id,
                key_alias=tenant.key_alias,
                available=True,
                totals=report.totals,
                failed_share=failed_share(report.totals),
                company_share=report.totals.spend / team_spend if team_spend else None,
                key_budget=report.key_budget,
                key_budget_used=budget_used(report.key_budget) if report.key_budget else None,
                previous=report.previous.totals if report.previous else None,
                deltas=report.deltas(),
                daily_spend=tuple(r.metrics.spend for r in report.daily),
            )
        )
    return OrgOverview(month, days, compared_days(month, now), tuple(rows))


def _unavailable(tenant: Tenant) -> TenantRow:
    return TenantRow(
        tenant=tenant.name,
        display_name=tenant.display_name,
        team_id=tenant.team_id,
        key_alias=tenant.key_alias,
        available=False,
        totals=ZERO,
        failed_share=None,
        company_share=None,
        key_budget=None,
        key_budget_used=None,
        previous=None,
        deltas=None,
        daily_spend=(),
    )


# -- the platform overview ---------------------------------------------------------------------


class Risk(StrEnum):
    """How close a team is to its company budget; the platform overview's default order."""

    OVER_BUDGET = "over_budget"  # spent all of it (a zero budget too)
    RUNS_OUT = "runs_out"  # reached at this pace before the budget resets
    WITHIN_BUDGET = "within_budget"
    NO_BUDGET = "no_budget"


@dataclass(frozen=True)
class PlatformData:
    """What the platform overview reads from LiteLLM for one month (what the app caches)."""

    month: Month
    teams: tuple[TeamListing, ...]
    daily: Mapping[str, Mapping[date, Metrics]]  # each team's days of the month so far
    previous_daily: Mapping[str, Mapping[date, Metrics]]  # days 1..N of the previous month
    fetched_at: datetime


@dataclass(frozen=True)
class TeamRow:
    """One LiteLLM team of the platform overview; `team_id` is the link target (?team=<id>)."""

    team_id: str
    team_alias: str | None
    totals: Metrics
    budget: Budget
    budget_used: float | None
    over_budget: bool
    outlook: BudgetOutlook
    projected_spend: float | None
    rpm_limit: int | None
    tpm_limit: int | None
    keys: int | None
    tenants: int
    previous: Metrics
    deltas: KpiDeltas
    daily_spend: tuple[float, ...]  # the sparkline: one value per day of PlatformOverview.days
    risk: Risk
    risk_rank: int  # 1 = the riskiest team

    @property
    def runs_out_on(self) -> date | None:
        """The day the budget runs out at this pace (or ran out, when known)."""
        return self.outlook.out_on


PLATFORM_CSV_COLUMNS = (
    "risk_rank",
    "risk",
    "team_id",
    "team_alias",
    "spend",
    "input_tokens",
    "output_tokens",
    "requests",
    "failed_requests",
    "max_budget",
    "budget_spend",
    "budget_used",
    "over_budget",
    "projected_spend",
    "budget_runs_out_on",
    "budget_resets_on",
    "rpm_limit",
    "tpm_limit",
    "keys",
    "tenants",
    "previous_spend",
    "spend_change",
)


@dataclass(frozen=True)
class PlatformOverview:
    """Every LiteLLM team for one month, the riskiest first."""

    month: Month
    days: tuple[date, ...]
    compared_days: int
    rows: tuple[TeamRow, ...]
    as_of: datetime

    def sorted_by(self, column: str, *, descending: bool = True) -> tuple[TeamRow, ...]:
        """The rows sorted by one of PLATFORM_CSV_COLUMNS (blanks last); risk_rank is the default."""
        if column not in PLATFORM_CSV_COLUMNS:
            raise ValueError(f"unknown column {column!r}")
        index = PLATFORM_CSV_COLUMNS.index(column)
        values = {row.team_id: _team_values(row)[index] for row in self.rows}
        return sort_rows(self.rows, lambda r: values[r.team_id], descending=descending)

    def to_csv(self) -> str:
        """The table as CSV, in risk order."""
        return _csv(PLATFORM_CSV_COLUMNS, (_team_values(row) for row in self.rows))


def _team_values(row: TeamRow) -> tuple[object, ...]:
    return (
        row.risk_rank,
        str(row.risk),
        row.team_id,
        row.team_alias or "",
        row.totals.spend,
        row.totals.input_tokens,
        row.totals.output_tokens,
        row.totals.requests,
        row.totals.failed_requests,
        row.budget.max_budget,
        row.budget.spend,
        row.budget_used,
        "yes" if row.over_budget else "no",
        row.projected_spend,
        row.runs_out_on.isoformat() if row.runs_out_on else "",
        row.budget.reset_at.astimezone(UTC).date().isoformat() if row.budget.reset_at else "",
        row.rpm_limit,
        row.tpm_limit,
        row.keys,
        row.tenants,
        row.previous.spend,
        row.deltas.spend.ratio,
    )


def risk_of(budget: Budget, outlook: BudgetOutlook) -> Risk:
    """Over budget, running out before the reset, within budget, or no budget at all."""
    if budget.max_budget is None:
        return Risk.NO_BUDGET
    if budget.spend >= budget.max_budget:
        return Risk.OVER_BUDGET
    return Risk.RUNS_OUT if outlook.outlook is Outlook.RUNS_OUT else Risk.WITHIN_BUDGET


def _risk_key(row: TeamRow) -> tuple[Any, ...]:
    # Over budget: furthest over first; runs out: soonest first; within: most used first; no budget:
    # biggest spender first. The team id breaks ties so the order never depends on input order.
    used = row.budget_used if row.budget_used is not None else 0.0
    if row.risk is Risk.OVER_BUDGET:
        over = math.inf if not row.budget.max_budget else row.budget.spend / row.budget.max_budget
        return (0, -over, row.team_id)
    if row.risk is Risk.RUNS_OUT:
        assert row.runs_out_on is not None
        return (1, row.runs_out_on.toordinal(), -used, row.team_id)
    if row.risk is Risk.WITHIN_BUDGET:
        return (2, -used, row.team_id)
    return (3, -row.totals.spend, row.team_id)


def team_row(
    info: TeamInfo,
    keys: int | None,
    tenants: int,
    month: Month,
    daily: Mapping[date, Metrics],
    previous_daily: Mapping[date, Metrics],
    *,
    now: datetime,
) -> TeamRow:
    """One team's row: month figures, budget, forecast at the team's pace, last month's delta."""
    days = shown_days(month, now)
    totals = total_of(daily, days)
    spend = {d: m.spend for d, m in daily.items()}
    budget = Budget.of(info.max_budget, info.spend, info.budget_reset_at)
    outlook = budget_outlook(budget, spend, month, now, name=info.alias or info.team_id)
    previous = previous_totals(previous_daily, month, now)
    return TeamRow(
        team_id=info.team_id,
        team_alias=info.alias,
        totals=totals,
        budget=budget,
        budget_used=budget_used(budget),
        over_budget=budget.over,
        outlook=outlook,
        projected_spend=projection(spend, month, now)[0],
        rpm_limit=info.rpm_limit,
        tpm_limit=info.tpm_limit,
        keys=keys,
        tenants=tenants,
        previous=previous,
        deltas=kpi_deltas(totals, previous),
        daily_spend=tuple(daily.get(d, ZERO).spend for d in days),
        risk=risk_of(budget, outlook),
        risk_rank=0,
    )


def rank_by_risk(rows: Iterable[TeamRow]) -> tuple[TeamRow, ...]:
    """The rows riskiest first, each with its risk_rank (1, 2, ...)."""
    ordered = sorted(rows, key=_risk_key)
    return tuple(replace(row, risk_rank=rank) for rank, row in enumerate(ordered, start=1))


def platform_overview(data: PlatformData, tenants: Sequence[Tenant], *, now: datetime) -> PlatformOverview:
    """Every team of `data` with its figures, forecast and risk, riskiest first."""
    per_team: dict[str, int] = {}
    for tenant in tenants:
        if tenant.team_id:
            per_team[tenant.team_id] = per_team.get(tenant.team_id, 0) + 1
    rows = [
        team_row(
            listing.info,
            listing.keys,
            per_team.get(listing.info.team_id, 0),
            data.month,
            data.daily.get(listing.info.team_id, {}),
            data.previous_daily.get(listing.info.team_id, {}),
            now=now,
        )
        for listing in data.teams
    ]
    return PlatformOverview(
        data.month,
        tuple(shown_days(data.month, now)),
        compared_days(data.month, now),
        rank_by_risk(rows),
        data.fetched_at,
    )


# -- the operator's overview (CLI) -------------------------------------------------------------


@dataclass(frozen=True)
class OperatorTenant:
    """A tenant nested under its team; `totals` is None when it has no key alias yet."""

    tenant: str
    display_name: str
    key_alias: str | None
    totals: Metrics | None


@dataclass(frozen=True)
class OperatorTeam:
    """A team with all of its keys' figures (tenants' or not) and its tenants'."""

    row: TeamRow
    tenants: tuple[OperatorTenant, ...]


@dataclass(frozen=True)
class OperatorOverview:
    """`usage-dashboard overview`: every team (or an org's) with its tenants nested."""

    month: Month
    teams: tuple[OperatorTeam, ...]

    def to_json(self) -> dict[str, Any]:
        """The documented JSON document."""
        return {"month": str(self.month), "teams": [_operator_team_json(t) for t in self.teams]}

    def to_csv(self) -> str:
        """One line per team, then one per tenant under it (`level` says which)."""
        rows: list[Sequence[object]] = []
        for team in self.teams:
            r = team.row
            rows.append(
                (
                    "team",
                    r.team_id,
                    r.team_alias or "",
                    "",
                    "",
                    "",
                    *_figures(r.totals),
                    r.budget.max_budget,
                    r.budget.spend,
                    r.projected_spend,
                    r.runs_out_on.isoformat() if r.runs_out_on else "",
                    str(r.outlook.outlook),
                )
            )
            for t in team.tenants:
                figures = _figures(t.totals) if t.totals else (None, None, None, None)
                tenant = (
                    "tenant",
                    r.team_id,
                    r.team_alias or "",
                    t.tenant,
                    t.display_name,
                    t.key_alias or "",
                )
                rows.append((*tenant, *figures, None, None, None, "", ""))
        return _csv(OPERATOR_CSV_COLUMNS, rows)


OPERATOR_CSV_COLUMNS = (
    "level",
    "team_id",
    "team_alias",
    "tenant",
    "display_name",
    "key_alias",
    "spend",
    "requests",
    "input_tokens",
    "output_tokens",
    "max_budget",
    "budget_spend",
    "projected_spend",
    "budget_runs_out_on",
    "budget_outlook",
)


def _figures(m: Metrics) -> tuple[float, int, int, int]:
    return (m.spend, m.requests, m.input_tokens, m.output_tokens)


def _operator_team_json(team: OperatorTeam) -> dict[str, Any]:
    r = team.row
    return {
        "team_id": r.team_id,
        "team_alias": r.team_alias,
        "spend": r.totals.spend,
        "requests": r.totals.requests,
        "input_tokens": r.totals.input_tokens,
        "output_tokens": r.totals.output_tokens,
        "max_budget": r.budget.max_budget,
        "budget_spend": r.budget.spend,
        "projected_spend": r.projected_spend,
        "budget_runs_out_on": r.runs_out_on.isoformat() if r.runs_out_on else None,
        "budget_outlook": str(r.outlook.outlook),
        "tenants": [
            {
                "tenant": t.tenant,
                "display_name": t.display_name,
                "key_alias": t.key_alias,
                "spend": t.totals.spend if t.totals else None,
                "requests": t.totals.requests if t.totals else None,
                "input_tokens": t.totals.input_tokens if t.totals else None,
                "output_tokens": t.totals.output_tokens if t.totals else None,
            }
            for t in team.tenants
        ],
    }


def operator_overview(
    month: Month,
    teams: Sequence[TeamListing],
    usage: Mapping[str, TeamUsage],
    tenants: Sequence[Tenant],
    *,
    now: datetime,
) -> OperatorOverview:
    """Each team's figures over all of its keys, with the tenants whose litellmTeamId it is.

    A tenant's figures are its exact key alias's days, summed like its own export; a tenant
    without an alias yet has none (its export would be the whole team's).
    """
    days = shown_days(month, now)
    by_team: dict[str, list[Tenant]] = {}
    for tenant in sorted(tenants, key=lambda t: (t.display_name.lower(), t.name)):
        if tenant.team_id:
            by_team.setdefault(tenant.team_id, []).append(tenant)
    rows = rank_by_risk(
        team_row(
            listing.info,
            listing.keys,
            len(by_team.get(listing.info.team_id, ())),
            month,
            usage[listing.info.team_id].team.daily if listing.info.team_id in usage else {},
            {},
            now=now,
        )
        for listing in teams
    )
    result = []
    for row in rows:
        team_usage = usage.get(row.team_id)
        nested = []
        for t in by_team.get(row.team_id, ()):
            totals: Metrics | None = None
            if t.key_alias is not None:
                totals = total_of(team_usage.slice_for(t.key_alias).daily, days) if team_usage else ZERO
            nested.append(OperatorTenant(t.name, t.display_name, t.key_alias, totals))
        result.append(OperatorTeam(row, tuple(nested)))
    return OperatorOverview(month, tuple(result))
