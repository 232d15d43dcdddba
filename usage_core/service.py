"""Wiring: settings -> tenant source + LiteLLM client -> snapshots and reports."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import httpx

from usage_core.access import Scope
from usage_core.comparison import compared_days
from usage_core.config import Settings
from usage_core.demo import DEMO_BASE_URL, DEMO_MASTER_KEY, DEMO_TENANTS, DemoLiteLLM
from usage_core.errors import ConfigError, InputError, TenantSourceNotConfigured
from usage_core.forecast import shown_days
from usage_core.identity import User
from usage_core.litellm import LiteLLMClient, TeamListing, TeamSummary
from usage_core.months import Month, utc_now
from usage_core.overview import (
    OperatorOverview,
    OrgOverview,
    PlatformData,
    PlatformOverview,
    operator_overview,
    org_overview,
    org_overview_teams,
    platform_overview,
)
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
        """What the tenant source leaves out now, and why (platform admins' "tenant source health").

        Reads the source first, so the list is current; raises TenantSourceError as `tenants()` does.
        Its `where` and `reason` name files, namespaces and other orgs' tenants: platform admins only.
        """
        self.tenant_source.list_tenants()
        return self.tenant_source.skipped()

    def teams(self) -> list[TeamSummary]:
        """Every LiteLLM team (platform admins' picker)."""
        return self.client.list_teams()

    def key_aliases(self, team_id: str) -> list[str]:
        """The distinct key aliases of a team, sorted."""
        return sorted({k.alias for k in self.client.list_keys(team_id) if k.alias})

    # -- overviews ----------------------------------------------------------------------------

    def org_overview(self, user: User, month: Month, *, now: datetime | None = None) -> OrgOverview:
        """Every tenant `user` can see: one snapshot per team, and the team's previous month."""
        now = now or utc_now()
        tenants = self.tenants()
        team_ids = org_overview_teams(user, tenants)
        with ThreadPoolExecutor(max_workers=2) as pool:
            previous = {t: pool.submit(self.client.team_usage, t, month.previous()) for t in team_ids}
            snapshots = {t: self.snapshot(t, month) for t in team_ids}
            return org_overview(
                user, tenants, month, snapshots, {t: f.result() for t, f in previous.items()}, now=now
            )

    def platform_data(self, month: Month, *, now: datetime | None = None) -> PlatformData:
        """Every team's budget and days of `month`, and days 1..N of the previous month.

        Bounded requests: /v2/team/list in pages of 100, then one aggregated daily-activity
        request per 100 teams for each of the two months.
        """
        now = now or utc_now()
        listings = self.client.list_team_listings()
        ids = [listing.info.team_id for listing in listings]
        previous = month.previous()
        days = shown_days(month, now)
        daily = self.client.teams_daily_totals(ids, month, last_day=days[-1] if days else month.first_day)
        n = compared_days(month, now)
        earlier = (
            self.client.teams_daily_totals(ids, previous, last_day=date(previous.year, previous.month, n))
            if n
            else {}
        )
        return PlatformData(month, tuple(listings), daily, earlier, now)

    def platform_overview(self, month: Month, *, now: datetime | None = None) -> PlatformOverview:
        """Every LiteLLM team for the month, riskiest first (platform admins)."""
        now = now or utc_now()
        return platform_overview(self.platform_data(month, now=now), self.tenants(), now=now)

    def operator_overview(
        self, month: Month, *, org: str | None = None, now: datetime | None = None
    ) -> OperatorOverview:
        """Every team (or the teams of `org`'s tenants) with its tenants' figures nested."""
        now = now or utc_now()
        if isinstance(self.tenant_source, UnconfiguredTenantSource) and org is None:
            tenants: Sequence[Tenant] = ()  # teams only: there are no tenants to nest
        else:
            tenants = self.tenants()
        if org is None:
            listings = self.client.list_team_listings()
        else:
            tenants = [t for t in tenants if t.org_id == org]
            team_ids = sorted({t.team_id for t in tenants if t.team_id})
            if not team_ids:
                raise InputError(f"Organization {org!r} has no tenant with a LiteLLM team.")
            with ThreadPoolExecutor(max_workers=4) as pool:
                infos = list(pool.map(self.client.team_info, team_ids))
            listings = [TeamListing(info, None) for info in infos]
        usage = self.client.teams_usage([listing.info.team_id for listing in listings], month)
        return operator_overview(month, listings, usage, tenants, now=now)


class UnconfiguredTenantSource:
    """Stands in when no tenant source is configured; fails only when tenants are needed.

    The failure is the tenant source's (a TenantSourceError), so a page treats it like an unreadable
    source: customers get a safe message and a reference, the log gets the missing setting.
    """

    def __init__(self, problem: ConfigError) -> None:
        self.problem = problem

    def list_tenants(self) -> Sequence[Tenant]:
        """Raise TenantSourceNotConfigured, naming the configuration problem."""
        raise TenantSourceNotConfigured(str(self.problem))

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
