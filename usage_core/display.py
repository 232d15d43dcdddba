"""How numbers, dates and labels read on screen: pure text, shared by the app and its tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from usage_core.access import Scope
from usage_core.comparison import Delta, PreviousPeriod
from usage_core.forecast import BudgetOutlook, Outlook, day_text
from usage_core.identity import User
from usage_core.months import Month
from usage_core.plaintext import shorten
from usage_core.reports import Budget, UsageReport, plain_number

BADGE_COMPANY_WIDE = "company-wide"
BADGE_ADMIN = "viewing as admin"
BADGE_DEMO = "demo data"
COMPANY_WIDE_NOTE = (
    "Company-wide: this tenant has no key of its own yet, so these numbers are the totals of "
    "every tenant in the organization's LiteLLM team."
)

BANNER_PART_CHARS = 60
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")

Direction = Literal["up", "down", "none"]


def usd(value: float) -> str:
    """Dollars for a headline: cents, or four decimals for amounts below one cent."""
    if value != 0 and abs(value) < 0.01:
        return f"${value:,.4f}"
    return f"${value:,.2f}"


def usd_exact(value: float) -> str:
    """Dollars in full, unrounded (as the CSV writes them)."""
    return f"${plain_number(value)}"


def count(value: int) -> str:
    """An integer with thousands separators."""
    return f"{value:,}"


def limit(value: int | None, unit: str) -> str:
    """A per-minute limit; None means LiteLLM enforces none."""
    return "unlimited" if value is None else f"{value:,} {unit}"


def as_of(moment: datetime) -> str:
    """'Data as of 14:03 UTC' (with the date when it is not today)."""
    moment = moment.astimezone(UTC)
    today = datetime.now(UTC).date()
    day = "" if moment.date() == today else f" on {moment:%b} {moment.day}"
    return f"Data as of {moment:%H:%M} UTC{day}"


def resets(budget: Budget) -> str:
    """'resets Dec 1, 2026', or that the budget does not reset."""
    if budget.reset_at is None:
        return "does not reset"
    at = budget.reset_at.astimezone(UTC)
    return f"resets {at:%b} {at.day}, {at.year}"


def budget_summary(budget: Budget) -> str:
    """One line under a gauge: spent of max, remaining."""
    if budget.max_budget is None:
        return f"No budget set · {usd(budget.spend)} spent"
    remaining = budget.remaining if budget.remaining is not None else 0.0
    over = " · over budget" if budget.over else ""
    return f"{usd(budget.spend)} of {usd(budget.max_budget)} · {usd(remaining)} remaining{over}"


def title(heading: str, month: Month) -> str:
    """The page title as it reads: '<display name> - <Month YYYY>'."""
    return f"{heading} - {month.label}"


def badges(scope: Scope, user: User, *, demo: bool) -> list[str]:
    """The labels that must accompany a report, in display order."""
    labels: list[str] = []
    if scope.company_wide:
        labels.append(BADGE_COMPANY_WIDE)
    if user.is_platform_admin:
        labels.append(BADGE_ADMIN)
    if demo:
        labels.append(BADGE_DEMO)
    return labels


def heading(scope: Scope, tenant_display_name: str | None, team_name: str | None = None) -> tuple[str, ...]:
    """What a report is about: the tenant's display name, or the team (and key alias) as two parts.

    Parts, so that a page can shorten each on its own: a long team name must not hide the key alias.
    """
    if tenant_display_name:
        return (tenant_display_name,)
    team = team_name or f"Team {scope.team_id}"
    return (team,) if scope.key_alias is None else (team, scope.key_alias)


def admin_banner(scope: Scope, month: Month, team_name: str | None = None) -> str:
    """The banner a platform admin sees above a report: exactly what is being looked at.

    Each name is shortened on its own, so that a long one cannot push the others out of the line.
    """

    def part(name: str) -> str:
        return shorten(name, BANNER_PART_CHARS)

    if scope.tenant:
        what = part(scope.label)
    elif scope.key_alias is None:
        what = f"{part(team_name or 'team')} (team {part(scope.team_id)}, company-wide)"
    else:
        team = f"{part(team_name or 'team')} (team {part(scope.team_id)})"
        what = f"key alias {part(scope.key_alias)} of {team}"
    return f"Viewing as admin: {what}, {month.label}"


def csv_file_name(scope: Scope, month: Month) -> str:
    """`usage-<tenant>-<YYYY-MM>.csv`; a team scope uses the team id (and key alias)."""
    if scope.tenant:
        stem = scope.tenant
    else:
        stem = scope.team_id if scope.key_alias is None else f"{scope.team_id}-{scope.key_alias}"
    stem = _UNSAFE_FILE_CHARS.sub("_", stem).strip("._") or "usage"
    return f"usage-{stem}-{month}.csv"


# -- last month ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiChange:
    """A KPI's change against last month as st.metric shows it: text, direction, comparison."""

    text: str  # "+12%", "-3.5%", "+$4.20 from $0", "no change"
    direction: Direction
    versus: str  # "vs Nov 1-15"


def compared_period(previous: PreviousPeriod) -> str:
    """The days compared with: 'Nov 1-15', 'Nov 1', or 'Oct 1-31' for a whole month."""
    first = f"{previous.month.first_day:%b} 1"
    return first if previous.days == 1 else f"{first}-{previous.days}"


def percent_change(ratio: float) -> str:
    """'+12%', '-3.5%' (one decimal below ten percent, so small moves are not shown as 0%)."""
    return f"{ratio:+.0%}" if abs(ratio) >= 0.1 else f"{ratio:+.1%}"


def kpi_change(delta: Delta, previous: PreviousPeriod, *, money: bool) -> KpiChange:
    """How a KPI moved against the same days of last month."""
    versus = f"vs {compared_period(previous)}"
    if delta.change == 0:
        return KpiChange("no change", "none", versus)
    direction: Direction = "up" if delta.change > 0 else "down"
    ratio = delta.ratio
    if ratio is not None:
        return KpiChange(percent_change(ratio), direction, versus)
    # nothing on those days: a percentage is undefined, so the amount itself
    amount = usd(abs(delta.change)) if money else count(round(abs(delta.change)))
    zero = "$0" if money else "0"
    return KpiChange(f"{'+' if delta.change > 0 else '-'}{amount} from {zero}", direction, versus)


def failed_line(report: UsageReport) -> str:
    """The failed requests in small print: how many, their share, and their change since last month."""
    totals, deltas, previous = report.totals, report.deltas(), report.previous
    number = totals.failed_requests
    failed = "1 request failed" if number == 1 else f"{count(number)} requests failed"
    share = f" ({number / totals.requests:.1%} of all)" if totals.requests else ""
    if deltas is None or previous is None:
        return f"{failed}{share}."
    change = kpi_change(deltas.failed_requests, previous, money=False)
    return f"{failed}{share}; {change.text} {change.versus}."


def comparison_note(previous: PreviousPeriod | None) -> str:
    """What the KPI deltas compare with, or why there are none."""
    if previous is None:
        return "Last month could not be read: no comparison."
    month = previous.month
    if previous.days >= month.last_day.day:
        return f"Changes compare with all of {month.label}."
    return f"Changes compare with {compared_period(previous)}, the same days of last month."


# -- forecast --------------------------------------------------------------------------------


def outlook_status(outlook: BudgetOutlook, month: Month) -> str:
    """A budget's outlook in two or three words, for the badge on its card ('' when it has none)."""
    kind = outlook.outlook
    if kind is Outlook.RUNS_OUT and outlook.runs_out_on is not None:
        return f"runs out {day_text(outlook.runs_out_on, month)}"
    if kind is Outlook.REACHED:
        if outlook.reached_on is not None:
            return f"reached {day_text(outlook.reached_on, month)}"
        over = outlook.max_budget is not None and outlook.spend > outlook.max_budget
        return "over budget" if over else "budget used up"
    return {
        Outlook.ON_TRACK: "on track",
        Outlook.NO_PACE: "forecast from tomorrow",
        Outlook.PAST_MONTH: "month over: actuals",
    }.get(kind, "")


def month_over(report: UsageReport) -> bool:
    """Whether the report's month had ended when its data was read: its figures are final."""
    return report.as_of >= report.month.end


def projection_line(report: UsageReport) -> str:
    """The scope's month-end spend at this pace, or its actual spend when the month is over."""
    forecast, month = report.forecast, report.month
    if month_over(report):
        return f"{month.label} is over: {usd(forecast.actual_spend)} spent (actuals, no projection)."
    if forecast.projected_spend is None or forecast.pace.per_day is None:
        return "No complete day this month yet: the projection starts tomorrow."
    days = "day" if forecast.pace.days == 1 else f"{forecast.pace.days} days"
    return (
        f"Month-end at this pace: {usd(forecast.projected_spend)} by {day_text(month.last_day, month)} "
        f"({usd(forecast.pace.per_day)} a day, the mean of the last complete {days})."
    )


def spend_chart_note(report: UsageReport) -> str | None:
    """What the spend chart's dashed line is, when it has one."""
    projected = report.forecast.projected_daily
    pace = report.forecast.pace
    if not projected or pace.per_day is None:
        return None
    days = "day" if pace.days == 1 else f"{pace.days} days"
    return (
        f"Dashed line: the pace of the last complete {days} ({usd(pace.per_day)} a day), "
        f"from today to {day_text(projected[-1].day, report.month)}."
    )
