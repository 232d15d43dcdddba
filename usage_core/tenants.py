"""The Tenant model, the TenantSource interface, and the one parser every source uses (no I/O here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from usage_core.errors import TenantSourceError


@dataclass(frozen=True)
class Tenant:
    """One customer tenant: an org's slice of a LiteLLM team, identified by its key alias."""

    name: str
    org_id: str
    display_name: str
    users: tuple[str, ...] = ()
    team_id: str | None = None
    key_alias: str | None = None
    namespace: str | None = None


@dataclass(frozen=True)
class SkippedTenant:
    """A tenant entry a source could not trust and left out, and why (for platform admins only)."""

    where: str
    name: str | None
    reason: str


class TenantSource(Protocol):
    """Anything that can list the current tenants (a file, the Kubernetes API, the demo)."""

    def list_tenants(self) -> Sequence[Tenant]:
        """All usable tenants, or raise TenantSourceError when none can be trusted."""
        ...

    def skipped(self) -> Sequence[SkippedTenant]:
        """The entries the last read left out, and why."""
        ...


def _optional_text(value: object, field: str, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TenantSourceError(f"{where}: {field} must be a string.")
    return value.strip() or None


def parse_tenant(obj: object, *, where: str) -> Tenant:
    """Parse one Tenant object (DESIGN.md's shape); `where` names it in any error."""
    if not isinstance(obj, Mapping):
        raise TenantSourceError(f"{where}: a tenant must be a mapping, got {type(obj).__name__}.")
    metadata = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    for field, part in (("metadata", metadata), ("spec", spec), ("status", status)):
        if not isinstance(part, Mapping):
            raise TenantSourceError(f"{where}: {field} must be a mapping.")
    name = _optional_text(metadata.get("name"), "metadata.name", where)
    if name is None:
        raise TenantSourceError(f"{where}: metadata.name is required.")
    where = f"{where} ({name})"
    org_id = _optional_text(spec.get("orgId"), "spec.orgId", where)
    if org_id is None:
        raise TenantSourceError(f"{where}: spec.orgId is required.")
    users = spec.get("users") or []
    if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
        raise TenantSourceError(f"{where}: spec.users must be a list of strings.")
    return Tenant(
        name=name,
        org_id=org_id,
        display_name=_optional_text(spec.get("displayName"), "spec.displayName", where) or name,
        users=tuple(u.strip().lower() if "@" in u else u.strip() for u in users if u.strip()),
        team_id=_optional_text(status.get("litellmTeamId"), "status.litellmTeamId", where),
        key_alias=_optional_text(status.get("litellmKeyAlias"), "status.litellmKeyAlias", where),
        namespace=_optional_text(metadata.get("namespace"), "metadata.namespace", where),
    )


def parse_tenant_list(document: object, *, where: str) -> list[Tenant]:
    """Parse a list of Tenants, or a Kubernetes List with `items`; names must be unique."""
    items: Any = document
    if isinstance(document, Mapping):
        items = document.get("items")
        if items is None:
            raise TenantSourceError(f"{where}: expected a list of tenants or a List with items.")
    if document is None:
        items = []
    if not isinstance(items, list):
        raise TenantSourceError(f"{where}: expected a list of tenants or a List with items.")
    tenants = [parse_tenant(item, where=f"{where}: entry {i}") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, tenant in enumerate(tenants):
        if tenant.name in seen:
            raise TenantSourceError(f"{where}: entry {i}: duplicate tenant name {tenant.name!r}.")
        seen.add(tenant.name)
    return tenants


class StaticTenantSource:
    """A fixed tenant list (the demo, tests)."""

    def __init__(self, tenants: Sequence[Tenant]) -> None:
        self._tenants = tuple(tenants)

    def list_tenants(self) -> Sequence[Tenant]:
        """The fixed list."""
        return self._tenants

    def skipped(self) -> Sequence[SkippedTenant]:
        """A fixed list skips nothing."""
        return ()
