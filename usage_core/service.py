"""Wiring: settings -> tenant source + LiteLLM client -> snapshots and reports."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx

from usage_core.access import Scope
from usage_core.config import Settings
from usage_core.demo import DEMO_BASE_URL, DEMO_MASTER_KEY, DEMO_TENANTS, DemoLiteLLM
from usage_core.errors import ConfigError
from usage_core.litellm import LiteLLMClient, TeamSummary
from usage_core.months import Month
from usage_core.reports import TeamSnapshot, UsageReport, build_report
from usage_core.tenant_file import FileTenantSource
from usage_core.tenants import SkippedTenant, StaticTenantSource, Tenant, TenantSource


class UsageService:
    """The one object pages and the CLI talk to."""

    def __init__(self, client: LiteLLMClient, tenant_source: TenantSource, *, demo: bool = False) -> None:
        self.client = client
        self.tenant_source = tenant_source
        self.demo = demo

    def tenants(self) -> Sequence[Tenant]:
        """Every tenant from the configured source."""
        return self.tenant_source.list_tenants()

    def snapshot(self, team_id: str, month: Month) -> TeamSnapshot:
        """Read a team's info, keys and month of usage from LiteLLM, concurrently."""
        with ThreadPoolExecutor(max_workers=3) as pool:
            team = pool.submit(self.client.team_info, team_id)
            keys = pool.submit(self.client.list_keys, team_id)
            usage = pool.submit(self.client.team_usage, team_id, month)
            return TeamSnapshot(team.result(), tuple(keys.result()), usage.result())

    def report(self, scope: Scope, month: Month, *, now: datetime | None = None) -> UsageReport:
        """One scope's report, read fresh, compared with the same days of the previous month."""
        with ThreadPoolExecutor(max_workers=1) as pool:
            previous = pool.submit(self.client.team_usage, scope.team_id, month.previous())
            snapshot = self.snapshot(scope.team_id, month)
            return build_report(scope, month, snapshot, now=now, previous=previous.result())

    def skipped_tenants(self) -> Sequence[SkippedTenant]:
        """What the tenant source left out of its last read, and why (platform admins' health list)."""
        return self.tenant_source.skipped()

    def teams(self) -> list[TeamSummary]:
        """Every LiteLLM team (platform admins' picker)."""
        return self.client.list_teams()

    def key_aliases(self, team_id: str) -> list[str]:
        """The distinct key aliases of a team, sorted."""
        return sorted({k.alias for k in self.client.list_keys(team_id) if k.alias})


class UnconfiguredTenantSource:
    """Stands in when no tenant source is configured; fails only when tenants are needed."""

    def __init__(self, problem: ConfigError) -> None:
        self.problem = problem

    def list_tenants(self) -> Sequence[Tenant]:
        """Raise the configuration problem."""
        raise self.problem

    def skipped(self) -> Sequence[SkippedTenant]:
        """Nothing was read, so nothing was skipped."""
        return ()


def tenant_source_from_settings(settings: Settings) -> TenantSource:
    """The tenant source the settings name (file, Kubernetes, or the demo list)."""
    source = settings.effective_tenant_source
    if source == "kubernetes":
        from usage_core.kube import KubernetesTenantSource  # imported lazily: heavy, optional

        kube_source: TenantSource = KubernetesTenantSource.from_settings(settings)
        return kube_source
    if source == "file" and settings.tenants_file is not None:
        return FileTenantSource(settings.tenants_file)
    return StaticTenantSource(DEMO_TENANTS)


def build_service(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> UsageService:
    """A UsageService for the settings; the embedded demo when no LiteLLM is configured."""
    settings.check()
    source: TenantSource
    try:
        source = tenant_source_from_settings(settings)
    except ConfigError as problem:  # a team-only export needs no tenants
        source = UnconfiguredTenantSource(problem)
    if settings.litellm_base_url is None:
        demo = transport or httpx.MockTransport(DemoLiteLLM())
        return UsageService(LiteLLMClient(DEMO_BASE_URL, DEMO_MASTER_KEY, transport=demo), source, demo=True)
    assert settings.litellm_master_key is not None  # guaranteed by check()
    client = LiteLLMClient(settings.litellm_base_url, settings.litellm_master_key, transport=transport)
    return UsageService(client, source)
