"""The admin audit trail: every platform-admin view is one structured JSON log line."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from usage_core.access import Scope
from usage_core.identity import User
from usage_core.months import Month, utc_now

LOGGER = logging.getLogger("usage_core.audit")


def admin_view_record(user: User, scope: Scope, month: Month, now: datetime) -> dict[str, Any]:
    """What an admin looked at, by whom and when (no secrets, no usage numbers)."""
    return {
        "event": "admin_view",
        "who": {"sub": user.sub, "email": user.email, "org": user.org, "role": user.role.value},
        "scope": {
            "team_id": scope.team_id,
            "key_alias": scope.key_alias,
            "tenant": scope.tenant,
            "company_wide": scope.company_wide,
        },
        "month": str(month),
        "at": now.astimezone(UTC).isoformat(timespec="seconds"),
    }


def log_admin_view(
    user: User, scope: Scope, month: Month, *, now: datetime | None = None, logger: logging.Logger = LOGGER
) -> dict[str, Any]:
    """Write the record as one JSON line at INFO; return it."""
    record = admin_view_record(user, scope, month, now or utc_now())
    logger.info(json.dumps(record, sort_keys=True, separators=(",", ":")))
    return record
