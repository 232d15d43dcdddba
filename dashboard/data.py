"""Cached data for the pages: one service per configuration, one snapshot per team-month."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import streamlit as st

from usage_core.config import Settings
from usage_core.litellm import TeamSummary
from usage_core.months import Month, utc_now
from usage_core.reports import TeamSnapshot
from usage_core.service import UsageService, build_service
from usage_core.tenants import SkippedTenant, Tenant

# A re-read of the same team-month within this interval would show the same numbers; it is also how
# often one session may press Refresh.
REFRESH_INTERVAL = timedelta(seconds=10)
# Bounds, so that no visitor can grow memory by asking for many scopes. A snapshot is a month of
# daily aggregates and a team's keys (tens of kilobytes); 256 covers every team-month that is looked
# at within a TTL on a large platform, and a cold entry only costs one LiteLLM read.
SNAPSHOT_ENTRIES = 256
KEY_ALIAS_ENTRIES = 256
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


def _cached(config: Settings, fn: Callable[..., Any], max_entries: int) -> Any:
    # Applied per call so the TTL comes from the settings; Streamlit keeps one cache per function.
    return st.cache_data(ttl=config.usage_cache_ttl_seconds, max_entries=max_entries, show_spinner=False)(fn)


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
_last_drop: dict[tuple[str, str, str], datetime] = {}


def refresh_snapshot(config: Settings, team_id: str, month: Month, *, now: datetime | None = None) -> bool:
    """Drop a cached team-month so the next read goes to LiteLLM, at most once per REFRESH_INTERVAL.

    Shared by every viewer of the process: when many press Refresh, the first press drops the entry
    and the others, within the interval, get that one re-read (Streamlit computes a key once while
    others wait for it). Returns whether this call dropped it.
    """
    now = now or utc_now()
    key = (_fingerprint(config), team_id, str(month))
    with _refresh_lock:
        for old in [k for k, at in _last_drop.items() if now - at >= REFRESH_INTERVAL]:
            del _last_drop[old]  # keeps the record as small as the presses of the last interval
        if key in _last_drop:
            return False
        _last_drop[key] = now
    forget_snapshot(config, team_id, month)
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
