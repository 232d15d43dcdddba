"""The audit trail: admin views, CSV downloads and CLI exports, each one structured JSON log line."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from usage_core.access import Scope
from usage_core.identity import User
from usage_core.months import Month, utc_now

LOGGER = logging.getLogger("usage_core.audit")

Event = Literal["admin_view", "csv_download", "cli_export"]
Outcome = Literal["ok", "error", "refused"]


def audit_record(
    event: Event,
    user: User,
    scope: Scope | None,
    month: Month | None,
    now: datetime,
    *,
    outcome: Outcome = "ok",
    reference: str | None = None,
    asked: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """Who did what to which scope and month, when, and how it ended (no secrets, no usage numbers).

    `asked` is what was requested, as given (a CLI export's flags): it says what a refusal refused.
    """
    record: dict[str, Any] = {
        "event": event,
        "who": {
            "sub": user.sub,
            "email": user.email,
            "org": user.org,
            "role": user.role.value,
            "issuer": user.issuer,
        },
        "scope": None
        if scope is None
        else {
            "team_id": scope.team_id,
            "key_alias": scope.key_alias,
            "tenant": scope.tenant,
            "company_wide": scope.company_wide,
        },
        "month": None if month is None else str(month),
        "outcome": outcome,
        "at": now.astimezone(UTC).isoformat(timespec="seconds"),
    }
    if reference is not None:
        record["ref"] = reference  # the incident reference of a failure, to join with the error line
    if asked is not None:
        record["asked"] = dict(asked)
    return record


def to_line(record: Mapping[str, Any]) -> str:
    """One record as one JSON line (no newline: JSON escapes any inside a value)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def log_event(
    event: Event,
    user: User,
    scope: Scope | None,
    month: Month | None,
    *,
    outcome: Outcome = "ok",
    reference: str | None = None,
    asked: Mapping[str, str | None] | None = None,
    now: datetime | None = None,
    logger: logging.Logger = LOGGER,
) -> dict[str, Any]:
    """Write the record as one JSON line at INFO; return it."""
    record = audit_record(
        event, user, scope, month, now or utc_now(), outcome=outcome, reference=reference, asked=asked
    )
    logger.info(to_line(record))
    return record
