"""Access rules as pure functions: who sees which tenant, and what a request resolves to.

Every decision carries a reason. A tenant the asker may not see is answered exactly like one
that does not exist, so tenant names never leak across orgs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from usage_core.identity import Role, User
from usage_core.tenants import Tenant

NO_ACTIVE_TENANT = "No active tenant found for your organization."
NOT_AVAILABLE_YET = "Usage is not available yet for this tenant: its key is still being set up."


@dataclass(frozen=True)
class Decision:
    """A yes or no, with the reason for it."""

    allowed: bool
    reason: str


def _assigned(user: User, tenant: Tenant) -> bool:
    """`spec.users` lists the member: by `sub` exactly, or by verified email ignoring case.

    Case is folded here, not only in the parser, because tenants may be built directly (demo, tests).
    """
    listed = {entry.strip() for entry in tenant.users}
    if user.sub and user.sub in listed:
        return True
    email = (user.email or "").strip().lower() if user.email_verified else ""
    return bool(email) and email in {entry.lower() for entry in listed}


def can_see(user: User, tenant: Tenant) -> Decision:
    """Whether `user` may see `tenant` at all (DESIGN.md's table)."""
    if user.role is Role.PLATFORM_ADMIN:
        return Decision(True, "platform admins see every tenant")
    if not user.org or user.org != tenant.org_id:
        return Decision(False, "the tenant belongs to another organization")
    if user.role is Role.OWNER:
        return Decision(True, "owners see every tenant of their organization")
    if _assigned(user, tenant):
        return Decision(True, "the member is assigned to this tenant")
    return Decision(False, "the member is not assigned to this tenant")


def visible_tenants(user: User, tenants: Iterable[Tenant]) -> list[Tenant]:
    """The tenants `user` may see, sorted by display name then name."""
    visible = [t for t in tenants if can_see(user, t).allowed]
    return sorted(visible, key=lambda t: (t.display_name.lower(), t.name))


@dataclass(frozen=True)
class Scope:
    """What one report covers: a LiteLLM team, and one key alias or the whole team."""

    team_id: str
    key_alias: str | None
    label: str
    tenant: str | None = None

    @property
    def company_wide(self) -> bool:
        """No key alias: the whole team (all of the org's tenants)."""
        return self.key_alias is None


@dataclass(frozen=True)
class UsageRequest:
    """What someone asked for (URL or CLI); `team`/`key_alias` count for platform admins only."""

    tenant: str | None = None
    team: str | None = None
    key_alias: str | None = None


class Outcome(StrEnum):
    """How a request was resolved."""

    SCOPE = "scope"  # a Scope to report on
    NOT_FOUND = "not_found"  # unknown or invisible tenant
    NO_TENANT = "no_tenant"  # nothing visible to default to
    NOT_AVAILABLE = "not_available"  # visible tenant without usage to show yet


@dataclass(frozen=True)
class Resolution:
    """The answer to a UsageRequest: a Scope, or why there is none."""

    outcome: Outcome
    reason: str
    scope: Scope | None = None
    tenant: Tenant | None = None
    ignored: tuple[str, ...] = ()


def tenant_scope(user: User, tenant: Tenant) -> Resolution:
    """The Scope of one tenant the user can already see."""
    if tenant.team_id is None:
        return Resolution(Outcome.NOT_AVAILABLE, NOT_AVAILABLE_YET, tenant=tenant)
    if tenant.key_alias is not None:
        scope = Scope(tenant.team_id, tenant.key_alias, tenant.display_name, tenant.name)
        return Resolution(Outcome.SCOPE, "the tenant's own key alias", scope, tenant)
    if user.role is Role.USER:
        return Resolution(Outcome.NOT_AVAILABLE, NOT_AVAILABLE_YET, tenant=tenant)
    label = f"{tenant.display_name} (company-wide)"
    scope = Scope(tenant.team_id, None, label, tenant.name)
    return Resolution(
        Outcome.SCOPE,
        "no key alias yet: owners and admins see the company-wide total",
        scope,
        tenant,
    )


def _echo(text: str, limit: int = 40) -> str:
    """The asker's input, quoted and shortened: a URL parameter may be long."""
    return repr(text if len(text) <= limit else text[:limit] + "...")


def resolve(user: User, tenants: Sequence[Tenant], request: UsageRequest) -> Resolution:
    """Resolve a request to a Scope; a customer's team/key-alias request is ignored."""
    if user.role is Role.PLATFORM_ADMIN and request.team:
        if request.key_alias:
            scope = Scope(request.team, request.key_alias, f"{request.key_alias} (team {request.team})")
        else:
            scope = Scope(request.team, None, f"team {request.team} (company-wide)")
        return Resolution(Outcome.SCOPE, "platform admins may choose any team", scope)
    ignored = tuple(
        name
        for name, value in (("team", request.team), ("key_alias", request.key_alias))
        if value and user.role is not Role.PLATFORM_ADMIN
    )
    if user.role is Role.PLATFORM_ADMIN and request.key_alias and not request.team:
        ignored = ("key_alias",)
    visible = visible_tenants(user, tenants)
    if request.tenant:
        match = next((t for t in visible if t.name == request.tenant), None)
        if match is None:
            reason = f"Tenant {_echo(request.tenant)} was not found."  # the asker's own words, nothing else
            return Resolution(Outcome.NOT_FOUND, reason, ignored=ignored)
        resolution = tenant_scope(user, match)
    else:
        # Prefer a tenant with usage to show; a visible one without it still gets "not available yet"
        # rather than the misleading "no active tenant".
        default = next((t for t in visible if tenant_scope(user, t).scope is not None), None)
        if default is None and visible:
            default = visible[0]
        if default is None:
            return Resolution(Outcome.NO_TENANT, NO_ACTIVE_TENANT, ignored=ignored)
        resolution = tenant_scope(user, default)
    return Resolution(resolution.outcome, resolution.reason, resolution.scope, resolution.tenant, ignored)
