"""The Tenant model, the TenantSource interface, and the one parser every source uses (no I/O here)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from usage_core.errors import TenantSourceError

LOGGER = logging.getLogger(__name__)
LOGGER.addHandler(logging.NullHandler())  # a library: the app or the CLI decides where logs go


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


class InvalidTenant(TenantSourceError):
    """One Tenant object that does not parse: where it is, its name when readable, and what is wrong."""

    def __init__(self, where: str, name: str | None, reason: str) -> None:
        self.where, self.name, self.reason = where, name, reason
        super().__init__(f"{where} ({name}): {reason}" if name else f"{where}: {reason}")

    def skipped(self) -> SkippedTenant:
        """The entry as a source reports it when it leaves it out."""
        return SkippedTenant(self.where, self.name, self.reason)


@dataclass(frozen=True)
class TenantList:
    """What one read of a source yields: the tenants to use, and the entries left out."""

    tenants: tuple[Tenant, ...]
    skipped: tuple[SkippedTenant, ...] = ()


def _optional_text(value: object, field: str, where: str, name: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidTenant(where, name, f"{field} must be a string.")
    return value.strip() or None


def parse_tenant(obj: object, *, where: str) -> Tenant:
    """Parse one Tenant object (DESIGN.md's shape); raise InvalidTenant naming `where` and the field."""
    if not isinstance(obj, Mapping):
        raise InvalidTenant(where, None, f"a tenant must be a mapping, got {type(obj).__name__}.")
    metadata = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if not isinstance(metadata, Mapping):
        raise InvalidTenant(where, None, "metadata must be a mapping.")
    name = _optional_text(metadata.get("name"), "metadata.name", where, None)
    if name is None:
        raise InvalidTenant(where, None, "metadata.name is required.")
    for field, part in (("spec", spec), ("status", status)):
        if not isinstance(part, Mapping):
            raise InvalidTenant(where, name, f"{field} must be a mapping.")
    org_id = _optional_text(spec.get("orgId"), "spec.orgId", where, name)
    if org_id is None:
        raise InvalidTenant(where, name, "spec.orgId is required.")
    users = spec.get("users") or []
    if not isinstance(users, list) or not all(isinstance(u, str) for u in users):
        raise InvalidTenant(where, name, "spec.users must be a list of strings.")
    return Tenant(
        name=name,
        org_id=org_id,
        display_name=_optional_text(spec.get("displayName"), "spec.displayName", where, name) or name,
        users=tuple(u.strip().lower() if "@" in u else u.strip() for u in users if u.strip()),
        team_id=_optional_text(status.get("litellmTeamId"), "status.litellmTeamId", where, name),
        key_alias=_optional_text(status.get("litellmKeyAlias"), "status.litellmKeyAlias", where, name),
        namespace=_optional_text(metadata.get("namespace"), "metadata.namespace", where, name),
    )


def parse_entry(obj: object, *, where: str) -> Tenant | SkippedTenant:
    """One object as a Tenant, or as the SkippedTenant that says why it cannot be one."""
    try:
        return parse_tenant(obj, where=where)
    except InvalidTenant as invalid:
        return invalid.skipped()


def screen(entries: Sequence[tuple[str, Tenant | SkippedTenant]]) -> TenantList:
    """Keep the tenants no other entry contradicts; every entry of a shared name or key is refused.

    The name is the id in URLs: when two entries claim it, neither can be trusted to be the one a
    link means. A malformed entry whose name is readable counts as a claim too. A tenant's usage is
    its key alias's within its team: when two tenants claim one alias of one team, each would show
    the other's usage, so neither is shown.
    """
    names: dict[str, list[int]] = {}
    keys: dict[tuple[str, str], list[int]] = {}
    for index, (_, entry) in enumerate(entries):
        if entry.name is not None:
            names.setdefault(entry.name, []).append(index)
        if isinstance(entry, Tenant) and entry.team_id is not None and entry.key_alias is not None:
            keys.setdefault((entry.team_id, entry.key_alias), []).append(index)
    tenants: list[Tenant] = []
    skipped: list[SkippedTenant] = []
    for index, (where, entry) in enumerate(entries):
        if isinstance(entry, SkippedTenant):
            skipped.append(entry)
            continue
        same_name = [entries[i][0] for i in names[entry.name] if i != index]
        key = (entry.team_id or "", entry.key_alias or "")
        same_key = [entries[i][0] for i in keys.get(key, []) if i != index]
        if same_name:
            reason = (
                f"the name {entry.name!r} is also used by {', '.join(same_name)}; tenant names are the id "
                "in URLs, so no tenant of that name is used until the others are renamed."
            )
        elif same_key:
            reason = (
                f"the key alias {entry.key_alias!r} of team {entry.team_id!r} is also claimed by "
                f"{', '.join(same_key)}; each would show the other's usage, so neither is used until one "
                "is changed."
            )
        else:
            tenants.append(entry)
            continue
        skipped.append(SkippedTenant(where, entry.name, reason))
    return TenantList(tuple(tenants), tuple(skipped))


def parse_tenant_list(document: object, *, where: str) -> TenantList:
    """Parse a list of Tenants, or a Kubernetes List with `items`, skipping the entries it cannot trust.

    A malformed entry, and every entry of a duplicated name, is skipped with its reason; a document
    that is not a list at all raises TenantSourceError, since then nothing in it can be trusted.
    """
    items: Any = document
    if isinstance(document, Mapping):
        items = document.get("items")
        if items is None:
            raise TenantSourceError(f"{where}: expected a list of tenants or a List with items.")
    if document is None:
        items = []
    if not isinstance(items, list):
        raise TenantSourceError(f"{where}: expected a list of tenants or a List with items.")
    places = [f"{where}: entry {i}" for i in range(len(items))]
    return screen([(at, parse_entry(item, where=at)) for at, item in zip(places, items, strict=True)])


def log_new_skips(current: Sequence[SkippedTenant], previous: Sequence[SkippedTenant]) -> None:
    """Log each skipped entry once: when it first appears, not on every later read that still skips it."""
    seen = set(previous)
    for entry in current:
        if entry not in seen:
            line = {
                "event": "tenant_skipped",
                "where": entry.where,
                "name": entry.name,
                "reason": entry.reason,
            }
            LOGGER.warning(json.dumps(line, sort_keys=True, separators=(",", ":")))


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
