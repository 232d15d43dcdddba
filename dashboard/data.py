"""Cached data for the pages: one service per configuration, one snapshot per team-month."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from usage_core import overview
from usage_core.config import Settings
from usage_core.identity import User
from usage_core.litellm import TeamSummary
from usage_core.months import Month, utc_now
from usage_core.overview import OrgOverview, PlatformData, PlatformOverview
from usage_core.reports import TeamSnapshot
from usage_core.service import UsageService, build_service
from usage_core.tenants import SkippedTenant, Tenant
from usage_core.usage import TeamUsage

# A re-read of the same team-month within this interval would show the same numbers; it is also how
# often one session may press Refresh.
REFRESH_INTERVAL = timedelta(seconds=10)
# Bounds, so that no visitor can grow memory by asking for many scopes. A snapshot is a month of
# daily aggregates and a team's keys (tens of kilobytes); 256 covers every team-month that is looked
# at within a TTL on a large platform, and a cold entry only costs one LiteLLM read.
SNAPSHOT_ENTRIES = 256
KEY_ALIAS_ENTRIES = 256
USAGE_ENTRIES = 256  # a team's previous month, for the org overview's comparison: like a snapshot
# Every team's month is megabytes at 1,000 teams: this month, the one before and a few more.
PLATFORM_ENTRIES = 4
# One entry per configuration; a process has one, a test run a few.
CONFIG_ENTRIES = 8


def _fingerprint(config: Settings) -> str:
    # The JSON masks the master key; a changed key means a restart in practice.
    return config.model_dump_json()


@st.cache_resource(show_spinner=False, max_entries=CONFIG_ENTRIES)
def _service_for(fingerprint: str, _config: Settings) -> UsageService:
    return build_service(_config)


def service(config: Settings) -> UsageService:
    """One UsageService per configuration, shared by every session of the process."""
    return _service_for(_fingerprint(config), config)


def _fetch_snapshot(fingerprint: str, team_id: str, month: str, _service: UsageService) -> TeamSnapshot:
    return _service.snapshot(team_id, Month.parse(month))


def _fetch_teams(fingerprint: str, _service: UsageService) -> list[TeamSummary]:
    return _service.teams()


def _fetch_key_aliases(fingerprint: str, team_id: str, _service: UsageService) -> list[str]:
    return _service.key_aliases(team_id)


def _fetch_usage(fingerprint: str, team_id: str, month: str, _service: UsageService) -> TeamUsage:
    return _service.client.team_usage(team_id, Month.parse(month))


def _fetch_platform(fingerprint: str, month: str, _service: UsageService) -> PlatformData:
    return _service.platform_data(Month.parse(month))


def _platform_overview(
    fingerprint: str,
    month: str,
    fetched_at: str,
    tenant_teams: tuple[str, ...],
    _data: PlatformData,
    _tenants: Sequence[Tenant],
) -> PlatformOverview:
    # Keyed by the tenants' teams, all that the overview reads of them (their counts per team).
    # The forecast is as of the read, so that its days are the days the read holds.
    return overview.platform_overview(_data, _tenants, now=_data.fetched_at)


def _cached(config: Settings, fn: Callable[..., Any], max_entries: int) -> Any:
    # Applied per call so the TTL comes from the settings; Streamlit keeps one cache per function.
    return st.cache_data(ttl=config.usage_cache_ttl_seconds, max_entries=max_entries, show_spinner=False)(fn)


def _shared(config: Settings, fn: Callable[..., Any], max_entries: int) -> Any:
    # For large values made of frozen dataclasses and tuples that nobody mutates: st.cache_data
    # would unpickle a fresh copy on every run (tens of milliseconds at 1,000 teams), this shares one.
    return st.cache_resource(ttl=config.usage_cache_ttl_seconds, max_entries=max_entries, show_spinner=False)(
        fn
    )


def snapshot(config: Settings, team_id: str, month: Month) -> TeamSnapshot:
    """A team's month from LiteLLM, cached for the TTL and shared by all viewers of the team."""
    fetch = _cached(config, _fetch_snapshot, SNAPSHOT_ENTRIES)
    result: TeamSnapshot = fetch(_fingerprint(config), team_id, str(month), service(config))
    return result


def forget_snapshot(config: Settings, team_id: str, month: Month) -> None:
    """Drop one cached team-month so the next read goes to LiteLLM."""
    fetch = _cached(config, _fetch_snapshot, SNAPSHOT_ENTRIES)
    fetch.clear(_fingerprint(config), team_id, str(month), service(config))


_refresh_lock = threading.Lock()
_last_drop: dict[tuple[str, ...], datetime] = {}


def refresh_snapshot(config: Settings, team_id: str, month: Month) -> bool:
    """Drop a cached team-month so the next read goes to LiteLLM, at most once per REFRESH_INTERVAL.

    Shared by every viewer of the process: when many press Refresh, the first press drops the entry
    and the others, within the interval, get that one re-read (Streamlit computes a key once while
    others wait for it). Returns whether this call dropped it.
    """
    if not _may_drop((_fingerprint(config), "team", team_id, str(month)), utc_now()):
        return False
    forget_snapshot(config, team_id, month)
    return True


def _may_drop(key: tuple[str, ...], now: datetime) -> bool:
    """Whether a cached entry may be dropped now: once per REFRESH_INTERVAL and key, process-wide."""
    with _refresh_lock:
        for old in [k for k, at in _last_drop.items() if now - at >= REFRESH_INTERVAL]:
            del _last_drop[old]  # keeps the record as small as the presses of the last interval
        if key in _last_drop:
            return False
        _last_drop[key] = now
    return True


def teams(config: Settings) -> list[TeamSummary]:
    """Every LiteLLM team, cached for the TTL."""
    fetch = _cached(config, _fetch_teams, CONFIG_ENTRIES)
    result: list[TeamSummary] = fetch(_fingerprint(config), service(config))
    return result


def key_aliases(config: Settings, team_id: str) -> list[str]:
    """A team's key aliases, cached for the TTL."""
    fetch = _cached(config, _fetch_key_aliases, KEY_ALIAS_ENTRIES)
    result: list[str] = fetch(_fingerprint(config), team_id, service(config))
    return result


def tenants(config: Settings) -> Sequence[Tenant]:
    """Every tenant of the configured source (the source caches: file stamp, Kubernetes watch)."""
    return service(config).tenants()


def skipped_tenants(config: Settings) -> Sequence[SkippedTenant]:
    """What the tenant source left out of its last read, and why (platform admins only)."""
    return service(config).skipped_tenants()


# -- overviews -----------------------------------------------------------------------------------


def team_usage(config: Settings, team_id: str, month: Month) -> TeamUsage:
    """A team's usage of one month (no budget, no keys), cached for the TTL: last month's comparison."""
    fetch = _cached(config, _fetch_usage, USAGE_ENTRIES)
    result: TeamUsage = fetch(_fingerprint(config), team_id, str(month), service(config))
    return result


def org_overview(
    config: Settings, user: User, month: Month, *, now: datetime | None = None
) -> tuple[OrgOverview, datetime | None]:
    """Every tenant `user` can see, and when its oldest read was made (None: no team to read).

    Cut per user on every run from the cached team-month snapshots (one per team, shared with each
    tenant's own page), so nothing one user may see is ever stored under another's key.
    """
    everyone = tenants(config)
    teams = overview.org_overview_teams(user, everyone)
    snapshots = {team_id: snapshot(config, team_id, month) for team_id in teams}
    previous = {team_id: team_usage(config, team_id, month.previous()) for team_id in teams}
    result = overview.org_overview(user, everyone, month, snapshots, previous, now=now or utc_now())
    as_of = min((s.usage.fetched_at for s in snapshots.values()), default=None)
    return result, as_of


def refresh_org_overview(config: Settings, user: User, month: Month) -> None:
    """Drop the cached snapshots behind a user's org overview (each at most once per interval)."""
    for team_id in overview.org_overview_teams(user, tenants(config)):
        refresh_snapshot(config, team_id, month)


def platform_data(config: Settings, month: Month) -> PlatformData:
    """Every LiteLLM team's month and last month's days (bounded reads), shared for the TTL."""
    fetch = _shared(config, _fetch_platform, PLATFORM_ENTRIES)
    result: PlatformData = fetch(_fingerprint(config), str(month), service(config))
    return result


def platform_overview(config: Settings, month: Month) -> PlatformOverview:
    """Every LiteLLM team for the month, riskiest first, computed once per read and tenant list."""
    data = platform_data(config, month)
    everyone = tenants(config)
    tenant_teams = tuple(sorted(t.team_id for t in everyone if t.team_id))
    compute = _shared(config, _platform_overview, PLATFORM_ENTRIES)
    result: PlatformOverview = compute(
        _fingerprint(config), str(month), data.fetched_at.isoformat(), tenant_teams, data, everyone
    )
    return result


def refresh_platform(config: Settings, month: Month, *, now: datetime | None = None) -> bool:
    """Drop the cached platform read of a month, at most once per REFRESH_INTERVAL (see refresh_snapshot)."""
    if not _may_drop((_fingerprint(config), "platform", str(month)), now or utc_now()):
        return False
    fetch = _shared(config, _fetch_platform, PLATFORM_ENTRIES)
    fetch.clear(_fingerprint(config), str(month), service(config))
    return True
