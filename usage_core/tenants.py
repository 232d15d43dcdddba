"""The Tenant model, one parser for every source, the TenantSource interface and the file source."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

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


class TenantSource(Protocol):
    """Anything that can list the current tenants (a file, the Kubernetes API, the demo)."""

    def list_tenants(self) -> Sequence[Tenant]:
        """All tenants, or raise TenantSourceError."""
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


class FileTenantSource:
    """Tenants from a YAML or JSON file, re-read only when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._tenants: tuple[Tenant, ...] = ()

    def list_tenants(self) -> Sequence[Tenant]:
        """The file's tenants; a bad file raises TenantSourceError naming the file and entry."""
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise TenantSourceError(f"{self.path}: cannot read tenants file ({exc.strerror}).") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._tenants = tuple(self._read())
                self._stamp = stamp
            return self._tenants

    def _read(self) -> list[Tenant]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TenantSourceError(f"{self.path}: cannot read tenants file ({exc}).") from None
        if not text.strip():
            return []  # an empty file is an empty list, in JSON as in YAML
        try:
            document = json.loads(text) if self.path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            line = getattr(exc, "lineno", None) if line is None else line + 1
            at = f" at line {line}" if line else ""
            raise TenantSourceError(f"{self.path}: not valid YAML/JSON{at}.") from None
        return parse_tenant_list(document, where=str(self.path))
