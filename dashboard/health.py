"""Tenant source health for platform admins: which tenant entries were skipped, and why."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard import data, problems, text
from dashboard.signin import Session
from usage_core.errors import UsageError
from usage_core.tenants import SkippedTenant

ALL_PARSED = "All tenants parsed."


def render(skipped: Sequence[SkippedTenant]) -> None:
    """The skipped entries as a table (where, name, reason), or that nothing was skipped."""
    if not skipped:
        text.success(ALL_PARSED, icon=":material/check_circle:")
        return
    text.warning(
        "{} tenant entries were skipped; their tenants are missing from every picker until fixed.",
        len(skipped),
        icon=":material/rule:",
    )
    rows = [{"where": s.where, "name": s.name or "", "reason": s.reason} for s in skipped]
    text.table(
        pd.DataFrame(rows, columns=["where", "name", "reason"]),
        text_columns=("where", "name", "reason"),
        hide_index=True,
        column_config={"where": "Where", "name": "Name", "reason": "Reason"},
    )


def source_health(session: Session) -> None:
    """A collapsed section on the Admin page; only platform admins ever get here."""
    if not session.user.is_platform_admin:
        return
    with text.expander("Tenant source health"):
        try:
            data.tenants(session.settings)  # the list that skipped() describes
            skipped = data.skipped_tenants(session.settings)
        except UsageError as problem:
            problems.failure(problem, session, where="tenant source health", key="retry_health")
            return
        render(skipped)
