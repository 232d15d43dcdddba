"""The file tenant source: Tenants from a YAML or JSON file, re-read when the file changes."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import yaml

from usage_core.errors import TenantSourceError
from usage_core.tenants import SkippedTenant, Tenant, TenantList, log_new_skips, parse_tenant_list


class FileTenantSource:
    """Tenants from a YAML or JSON file, re-read only when the file changes.

    A malformed entry, or a name used twice, is skipped (and logged once); the rest keep working. A
    file that cannot be read or parsed, or is not a list, fails as a whole.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._read_list = TenantList(())

    def list_tenants(self) -> Sequence[Tenant]:
        """The file's usable tenants; an unreadable file raises TenantSourceError naming the file."""
        try:
            stat = self.path.stat()
        except OSError as exc:
            raise TenantSourceError(f"{self.path}: cannot read tenants file ({exc.strerror}).") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                read = self._read()
                log_new_skips(read.skipped, self._read_list.skipped)
                self._read_list, self._stamp = read, stamp
            return self._read_list.tenants

    def skipped(self) -> Sequence[SkippedTenant]:
        """The entries the last successful read left out, and why."""
        with self._lock:
            return self._read_list.skipped

    def _read(self) -> TenantList:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TenantSourceError(f"{self.path}: cannot read tenants file ({exc}).") from None
        if not text.strip():
            return TenantList(())  # an empty file is an empty list, in JSON as in YAML
        try:
            document = json.loads(text) if self.path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            line = getattr(getattr(exc, "problem_mark", None), "line", None)
            line = getattr(exc, "lineno", None) if line is None else line + 1
            at = f" at line {line}" if line else ""
            raise TenantSourceError(f"{self.path}: not valid YAML/JSON{at}.") from None
        return parse_tenant_list(document, where=str(self.path))
