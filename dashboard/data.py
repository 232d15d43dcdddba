"""Cached data for the pages: one service per configuration, one snapshot per team-month."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from usage_core.config import Settings
from usage_core.litellm import TeamSummary
from usage_core.months import Month
from usage_core.reports import TeamSnapshot
from usage_core.service import UsageService, build_service
from usage_core.tenants import Tenant


def _fingerprint(config: Settings) -> str:
    # The JSON masks the master key; a changed key means a restart in practice.
    return config.model_dump_json()


@st.cache_resource(show_spinner=False)
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


def _cached(config: Settings, fn: Callable[..., Any]) -> Any:
    # Applied per call so the TTL comes from the settings; Streamlit keeps one cache per function.
    return st.cache_data(ttl=config.usage_cache_ttl_seconds, show_spinner=False)(fn)


def snapshot(config: Settings, team_id: str, month: Month) -> TeamSnapshot:
    """A team's month from LiteLLM, cached for the TTL and shared by all viewers of the team."""
    fetch = _cached(config, _fetch_snapshot)
    result: TeamSnapshot = fetch(_fingerprint(config), team_id, str(month), service(config))
    return result


def forget_snapshot(config: Settings, team_id: str, month: Month) -> None:
    """Drop one cached team-month so the next read goes to LiteLLM."""
    _cached(config, _fetch_snapshot).clear(_fingerprint(config), team_id, str(month), service(config))


def teams(config: Settings) -> list[TeamSummary]:
    """Every LiteLLM team, cached for the TTL."""
    result: list[TeamSummary] = _cached(config, _fetch_teams)(_fingerprint(config), service(config))
    return result


def key_aliases(config: Settings, team_id: str) -> list[str]:
    """A team's key aliases, cached for the TTL."""
    fetch = _cached(config, _fetch_key_aliases)
    result: list[str] = fetch(_fingerprint(config), team_id, service(config))
    return result


def tenants(config: Settings) -> Sequence[Tenant]:
    """Every tenant of the configured source (the source caches: file stamp, Kubernetes watch)."""
    return service(config).tenants()
