"""How numbers, dates and labels read on screen: pure text, shared by the app and its tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from usage_core.access import Scope
from usage_core.identity import User
from usage_core.months import Month
from usage_core.plaintext import shorten
from usage_core.reports import Budget, plain_number

BADGE_COMPANY_WIDE = "company-wide"
BADGE_ADMIN = "viewing as admin"
BADGE_DEMO = "demo data"
COMPANY_WIDE_NOTE = (
    "Company-wide: this tenant has no key of its own yet, so these numbers are the totals of "
    "every tenant in the organization's LiteLLM team."
)

BANNER_PART_CHARS = 60
_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


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
