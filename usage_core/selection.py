"""From URL parameters to what a page shows: a month, a Resolution, notices, and the canonical URL.

The URL is untrusted: every value is validated, bad ones are replaced by a safe default with a
notice, and the canonical parameters written back never name anything the user may not see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from usage_core.access import Outcome, Resolution, UsageRequest, resolve
from usage_core.errors import InvalidMonth
from usage_core.identity import User
from usage_core.months import DEFAULT_MONTHS_HORIZON, Month
from usage_core.tenants import Tenant

ADMIN_ONLY_IGNORED = "This link's team and key_alias parameters are for platform admins; they were ignored."
ALIAS_NEEDS_TEAM = "A key_alias needs a team; it was ignored."


@dataclass(frozen=True)
class Selection:
    """What to show, what to tell the user about their URL, and the URL to write back."""

    month: Month
    resolution: Resolution
    notices: tuple[str, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict)


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    return value.strip() or None if isinstance(value, str) else None


def _month(raw: str | None, now: datetime | None, horizon: int, notices: list[str]) -> Month:
    current = Month.current(now)
    try:
        return Month.parse_or_current(raw, now=now, horizon=horizon)
    except InvalidMonth as problem:
        notices.append(f"{problem} Showing {current.label} instead.")
        return current


def select_month(
    params: Mapping[str, str], *, now: datetime | None = None, horizon: int = DEFAULT_MONTHS_HORIZON
) -> tuple[Month, tuple[str, ...]]:
    """`?month=` alone (the overviews): the month, or the current one with a notice saying why."""
    notices: list[str] = []
    return _month(_text(params, "month"), now, horizon, notices), tuple(notices)


def select(
    user: User,
    tenants: Sequence[Tenant],
    params: Mapping[str, str],
    *,
    now: datetime | None = None,
    horizon: int = DEFAULT_MONTHS_HORIZON,
) -> Selection:
    """Resolve `?tenant=&month=` (and, for platform admins, `?team=&key_alias=`) safely.

    A month outside the `horizon` (Settings.months_horizon) falls back to the current one, with a notice.
    """
    notices: list[str] = []
    month = _month(_text(params, "month"), now, horizon, notices)
    request = UsageRequest(_text(params, "tenant"), _text(params, "team"), _text(params, "key_alias"))
    resolution = resolve(user, tenants, request)
    if resolution.ignored:
        notices.append(ALIAS_NEEDS_TEAM if user.is_platform_admin else ADMIN_ONLY_IGNORED)
    if resolution.outcome is Outcome.NOT_FOUND:
        fallback = resolve(user, tenants, UsageRequest())
        instead = f" Showing {fallback.tenant.display_name} instead." if fallback.tenant else ""
        notices.append(resolution.reason + instead)
        resolution = fallback
    canonical: dict[str, str] = {}
    if resolution.tenant is not None:
        canonical["tenant"] = resolution.tenant.name
    elif resolution.scope is not None:
        canonical["team"] = resolution.scope.team_id
        if resolution.scope.key_alias is not None:
            canonical["key_alias"] = resolution.scope.key_alias
    canonical["month"] = str(month)
    return Selection(month, resolution, tuple(notices), canonical)
